extension OpenAPISection {
    /// Webhook subscriptions, their deliveries and replays.
    static let webhooks = OpenAPISection(
        paths: #"""
              /api/v1/webhooks:
                post:
                  tags: [webhooks]
                  operationId: createWebhook
                  summary: Subscribe a URL to events
                  description: |
                    Events of the types asked for are POSTed to `url` as JSON
                    (`{"id", "type", "created_at", "data"}`), signed with the subscription's
                    secret: `X-Tally-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Tally-Timestamp>.<body>")>`.
                    The secret is in this answer only; it cannot be read again.

                    A delivery is at least once: a receiver drops an event it has seen (by
                    `id`). Anything but a 2xx within 10 seconds is tried again with exponential
                    backoff, and is a dead letter after the last try.

                    At most 100 subscriptions. `Idempotency-Key` is optional: with one, a retry
                    returns the first answer (the same secret) instead of subscribing twice.
                  x-tally-scope: admin
                  parameters:
                    - name: Idempotency-Key
                      in: header
                      required: false
                      description: A unique value per subscription, e.g. a UUID; 1 to 200 bytes.
                      schema:
                        type: string
                        minLength: 1
                        maxLength: 200
                  requestBody:
                    required: true
                    content:
                      application/json:
                        schema:
                          $ref: '#/components/schemas/WebhookCreate'
                  responses:
                    '201':
                      description: The subscription, with its signing secret (shown this once).
                      headers:
                        Idempotent-Replayed:
                          $ref: '#/components/headers/IdempotentReplayed'
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/WebhookCreated'
                    '400':
                      $ref: '#/components/responses/BadRequest'
                      description: '`invalid_json`: a body that is not JSON, or a field of the wrong type.'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '409':
                      $ref: '#/components/responses/Conflict'
                      description: '`too_many_subscriptions`: there are 100 already.'
                    '413':
                      $ref: '#/components/responses/ContentTooLarge'
                    '422':
                      $ref: '#/components/responses/UnprocessableContent'
                      description: |
                        A field breaks a rule: `missing_url`, `invalid_url` (not an absolute http(s)
                        URL with a host, or longer than 2,000 characters), `missing_event_types`,
                        `invalid_event_types` (an empty list), `invalid_event_type` (the message lists
                        the valid types); or `invalid_idempotency_key`, `idempotency_key_reused`.
                get:
                  tags: [webhooks]
                  operationId: listWebhooks
                  summary: List the subscriptions
                  description: Every subscription not deleted (at most 100, so one page), oldest first. Secrets are never shown.
                  x-tally-scope: admin
                  responses:
                    '200':
                      description: The subscriptions.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/WebhookList'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
              /api/v1/webhooks/{id}:
                parameters:
                  - name: id
                    in: path
                    required: true
                    description: The subscription id (a UUID). Anything else, or a deleted subscription, is a 404.
                    schema:
                      type: string
                      format: uuid
                get:
                  tags: [webhooks]
                  operationId: getWebhook
                  summary: Get a subscription
                  x-tally-scope: admin
                  responses:
                    '200':
                      description: The subscription (without its secret).
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/Webhook'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/NotFound'
                      description: '`webhook_not_found`: no subscription has this id, or it was deleted.'
                patch:
                  tags: [webhooks]
                  operationId: updateWebhook
                  summary: Change a subscription's URL, event types or state
                  description: |
                    Fields left out keep their value. While `active` is false the subscription
                    gets no new events and nothing of it is sent; its pending deliveries wait and
                    go out when it is active again.
                  x-tally-scope: admin
                  requestBody:
                    required: true
                    content:
                      application/json:
                        schema:
                          $ref: '#/components/schemas/WebhookUpdate'
                  responses:
                    '200':
                      description: The subscription, changed.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/Webhook'
                    '400':
                      $ref: '#/components/responses/BadRequest'
                      description: '`invalid_json`: a body that is not a JSON object, or a field of the wrong type.'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/NotFound'
                      description: '`webhook_not_found`: no subscription has this id, or it was deleted.'
                    '413':
                      $ref: '#/components/responses/ContentTooLarge'
                    '422':
                      $ref: '#/components/responses/UnprocessableContent'
                      description: '`invalid_url`, `invalid_event_types` or `invalid_event_type` (the message lists the valid types).'
                delete:
                  tags: [webhooks]
                  operationId: deleteWebhook
                  summary: Delete a subscription
                  description: |
                    The subscription gets no more events, and its pending deliveries are closed as
                    dead (`last_error`: `subscription deleted`); nothing more is sent. It is kept
                    in the database for the record, but answers 404 from then on.
                  x-tally-scope: admin
                  responses:
                    '204':
                      description: Deleted.
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/NotFound'
                      description: '`webhook_not_found`: no subscription has this id, or it was deleted.'
              /api/v1/webhooks/{id}/deliveries:
                parameters:
                  - name: id
                    in: path
                    required: true
                    description: The subscription id (a UUID). Anything else, or a deleted subscription, is a 404.
                    schema:
                      type: string
                      format: uuid
                get:
                  tags: [webhooks]
                  operationId: listWebhookDeliveries
                  summary: List a subscription's deliveries
                  description: Pages of at most 200 deliveries, newest (highest id) first.
                  x-tally-scope: admin
                  parameters:
                    - name: status
                      in: query
                      description: Only deliveries in this state.
                      schema:
                        $ref: '#/components/schemas/WebhookDeliveryStatus'
                    - name: cursor
                      in: query
                      description: The `next_cursor` of the previous page (the last delivery id on it). Omit for the first page.
                      schema:
                        type: integer
                        format: int64
                        minimum: 1
                    - $ref: '#/components/parameters/Limit'
                  responses:
                    '200':
                      description: A page of deliveries.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/WebhookDeliveryPage'
                    '400':
                      $ref: '#/components/responses/BadRequest'
                      description: '`invalid_status`, `invalid_cursor` or `invalid_limit`.'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/NotFound'
                      description: '`webhook_not_found`: no subscription has this id, or it was deleted.'
              /api/v1/webhooks/{id}/deliveries/{delivery_id}/replay:
                parameters:
                  - name: id
                    in: path
                    required: true
                    description: The subscription id (a UUID). Anything else, or a deleted subscription, is a 404.
                    schema:
                      type: string
                      format: uuid
                  - name: delivery_id
                    in: path
                    required: true
                    description: The delivery id. Anything but a positive integer is a 404.
                    schema:
                      type: integer
                      format: int64
                      minimum: 1
                post:
                  tags: [webhooks]
                  operationId: replayWebhookDelivery
                  summary: Send one delivery again
                  description: |
                    A dead letter (or a delivery the receiver says it lost) is pending again, due
                    now, with its attempts counted from 0. The event is the same, with the same
                    `id`. While the subscription is inactive it waits.
                  x-tally-scope: admin
                  responses:
                    '200':
                      description: The delivery, pending again.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/WebhookDelivery'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/NotFound'
                      description: '`webhook_not_found`, or `delivery_not_found`: the subscription has no delivery with this id.'
                    '409':
                      $ref: '#/components/responses/Conflict'
                      description: '`delivery_pending`: it is still pending, and will be tried again without a replay.'
              /api/v1/webhooks/{id}/replay:
                parameters:
                  - name: id
                    in: path
                    required: true
                    description: The subscription id (a UUID). Anything else, or a deleted subscription, is a 404.
                    schema:
                      type: string
                      format: uuid
                post:
                  tags: [webhooks]
                  operationId: replayWebhookDeadLetters
                  summary: Send every dead letter of a subscription again
                  description: |
                    Every dead delivery of the subscription is pending again, due now, with its
                    attempts counted from 0. The body may be empty or `{"status": "dead"}`.
                  x-tally-scope: admin
                  requestBody:
                    required: false
                    content:
                      application/json:
                        schema:
                          $ref: '#/components/schemas/WebhookReplay'
                  responses:
                    '200':
                      description: How many deliveries are pending again.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/WebhookReplayResult'
                    '400':
                      $ref: '#/components/responses/BadRequest'
                      description: '`invalid_json`.'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/NotFound'
                      description: '`webhook_not_found`: no subscription has this id, or it was deleted.'
                    '413':
                      $ref: '#/components/responses/ContentTooLarge'
                    '422':
                      $ref: '#/components/responses/UnprocessableContent'
                      description: '`invalid_status`: only `dead` deliveries are replayed in bulk.'
            """#,
        schemas: #"""
                WebhookEventType:
                  type: string
                  enum: [member.created, points.credited, points.debited, points.expired, redemption.created, redemption.cancelled, member.merged, tier.changed]
                WebhookCreate:
                  type: object
                  required: [url, event_types]
                  properties:
                    url:
                      type: string
                      format: uri
                      description: An absolute `http://` or `https://` URL with a host; at most 2,000 characters.
                      maxLength: 2000
                      examples: ['https://crm.example.cn/tally/events']
                    event_types:
                      type: array
                      description: The events to receive; each listed once (repeats are dropped).
                      minItems: 1
                      items:
                        $ref: '#/components/schemas/WebhookEventType'
                    active:
                      type: boolean
                      description: Whether to send events now; default true.
                      default: true
                WebhookUpdate:
                  type: object
                  properties:
                    url:
                      type: string
                      format: uri
                      maxLength: 2000
                    event_types:
                      type: array
                      minItems: 1
                      items:
                        $ref: '#/components/schemas/WebhookEventType'
                    active:
                      type: boolean
                Webhook:
                  type: object
                  required: [id, url, event_types, active, created_at]
                  properties:
                    id:
                      type: string
                      format: uuid
                    url:
                      type: string
                      format: uri
                    event_types:
                      type: array
                      items:
                        $ref: '#/components/schemas/WebhookEventType'
                    active:
                      type: boolean
                    created_at:
                      type: string
                      format: date-time
                WebhookCreated:
                  allOf:
                    - $ref: '#/components/schemas/Webhook'
                    - type: object
                      required: [secret]
                      properties:
                        secret:
                          type: string
                          description: |
                            The signing secret, 32 bytes as 64 hex digits; the HMAC-SHA256 key is
                            the 32 bytes (not the hex text). Shown only in this answer.
                          pattern: '^[0-9a-f]{64}$'
                WebhookList:
                  type: object
                  required: [items]
                  properties:
                    items:
                      type: array
                      items:
                        $ref: '#/components/schemas/Webhook'
                WebhookDeliveryStatus:
                  type: string
                  enum: [pending, delivered, dead]
                WebhookDelivery:
                  type: object
                  required: [id, event_id, event_type, status, attempts, created_at]
                  properties:
                    id:
                      type: integer
                      format: int64
                      description: Sent as `X-Tally-Delivery`.
                    event_id:
                      type: integer
                      format: int64
                      description: The event's id (the payload's `id`, as a string there).
                    event_type:
                      $ref: '#/components/schemas/WebhookEventType'
                    status:
                      $ref: '#/components/schemas/WebhookDeliveryStatus'
                    attempts:
                      type: integer
                      description: Tries so far (a replay counts from 0 again).
                      minimum: 0
                    next_attempt_at:
                      type: string
                      format: date-time
                      description: When the next try is due; only while pending.
                    last_status:
                      type: integer
                      description: The receiver's HTTP status at the last try, if it answered.
                    last_error:
                      type: string
                      description: Why the last try failed, e.g. `HTTP 500`, `no answer within 10 s`, `subscription deleted`.
                    delivered_at:
                      type: string
                      format: date-time
                    created_at:
                      type: string
                      format: date-time
                WebhookDeliveryPage:
                  type: object
                  required: [items]
                  properties:
                    items:
                      type: array
                      items:
                        $ref: '#/components/schemas/WebhookDelivery'
                    next_cursor:
                      type: string
                      description: Pass as `cursor` for the next page; absent on the last page.
                WebhookReplay:
                  type: object
                  properties:
                    status:
                      type: string
                      const: dead
                WebhookReplayResult:
                  type: object
                  required: [replayed]
                  properties:
                    replayed:
                      type: integer
                      minimum: 0
            """#
    )
}
