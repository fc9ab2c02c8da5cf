extension OpenAPISection {
    /// The rewards catalogue, redemptions and their cancellation.
    static let rewards = OpenAPISection(
        paths: #"""
              /api/v1/rewards:
                post:
                  tags: [rewards]
                  operationId: createReward
                  summary: Add a reward to the catalogue
                  x-tally-scope: crm:write
                  requestBody:
                    required: true
                    content:
                      application/json:
                        schema:
                          $ref: '#/components/schemas/RewardCreate'
                  responses:
                    '201':
                      description: The reward, created.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/Reward'
                    '400':
                      $ref: '#/components/responses/BadRequest'
                      description: '`invalid_json`: not JSON, a required field missing (`sku`, `name`, `cost_points`) or a field of the wrong type.'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '409':
                      $ref: '#/components/responses/Conflict'
                      description: '`sku_taken`: another reward has this SKU.'
                    '413':
                      $ref: '#/components/responses/ContentTooLarge'
                    '422':
                      $ref: '#/components/responses/UnprocessableContent'
                      description: |
                        A field breaks a rule: `invalid_sku`, `invalid_name`, `invalid_description`,
                        `invalid_image_url`, `invalid_cost_points`, `invalid_stock`,
                        `invalid_per_member_limit`, `invalid_active_window` (`active_until` not
                        after `active_from`) or `invalid_channels`.
                get:
                  tags: [rewards]
                  operationId: listRewards
                  summary: List rewards in SKU order
                  description: Pages of at most 200 rewards, in SKU order, optionally only those redeemable now or through a channel.
                  x-tally-scope: redeem
                  parameters:
                    - name: cursor
                      in: query
                      description: The `next_cursor` of the previous page (the last SKU on it). Omit for the first page.
                      schema:
                        type: string
                    - $ref: '#/components/parameters/Limit'
                    - name: active
                      in: query
                      description: '`true`: only rewards inside their active window now (whatever their stock).'
                      schema:
                        type: boolean
                        default: false
                    - name: channel
                      in: query
                      description: Only rewards redeemable through this channel (those open to every channel included).
                      schema:
                        type: string
                        pattern: '^[a-z][a-z0-9_]{1,31}$'
                  responses:
                    '200':
                      description: A page of rewards.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/RewardPage'
                    '400':
                      $ref: '#/components/responses/BadRequest'
                      description: '`invalid_limit` or `invalid_active`.'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '422':
                      $ref: '#/components/responses/UnprocessableContent'
                      description: '`invalid_channel`.'
              /api/v1/rewards/{sku}:
                parameters:
                  - name: sku
                    in: path
                    required: true
                    schema:
                      type: string
                get:
                  tags: [rewards]
                  operationId: getReward
                  summary: Get a reward
                  x-tally-scope: redeem
                  responses:
                    '200':
                      description: The reward.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/Reward'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/NotFound'
                      description: '`reward_not_found`.'
                patch:
                  tags: [rewards]
                  operationId: updateReward
                  summary: Change a reward, or restock it
                  description: |
                    Fields left out keep their value; `null` clears the fields that may be empty
                    (`image_url`, `per_member_limit`, `active_from`, `active_until`, `channels`, and
                    `stock`, which makes the reward unlimited). The change is checked on the reward
                    it would leave. The SKU cannot change.

                    Stock: `add_stock` adds units to (or, negative, withdraws unredeemed units from)
                    both `initial_stock` and `stock`; `stock` sets the units available from now on,
                    and `initial_stock` becomes that plus the units in live redemptions. Either way
                    `initial_stock − stock` stays the number of units in live redemptions.
                    Redemptions of the reward wait while it changes. Existing redemptions keep
                    the points they cost.
                  x-tally-scope: crm:write
                  requestBody:
                    required: true
                    content:
                      application/json:
                        schema:
                          $ref: '#/components/schemas/RewardUpdate'
                  responses:
                    '200':
                      description: The reward, changed.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/Reward'
                    '400':
                      $ref: '#/components/responses/BadRequest'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/NotFound'
                      description: '`reward_not_found`.'
                    '413':
                      $ref: '#/components/responses/ContentTooLarge'
                    '422':
                      $ref: '#/components/responses/UnprocessableContent'
                      description: |
                        A field breaks a rule (nothing changes): `sku_immutable`, `invalid_name`,
                        `invalid_description`, `invalid_image_url`, `invalid_cost_points`,
                        `invalid_stock`, `invalid_add_stock`, `invalid_per_member_limit`,
                        `invalid_active_window`, `invalid_channels`, `conflicting_stock_changes`
                        (`stock` and `add_stock` together), `stock_unlimited` (`add_stock` on an
                        unlimited reward) or `stock_below_zero` (withdrawing more than is left).
              /api/v1/members/{id}/redemptions:
                parameters:
                  - name: id
                    in: path
                    required: true
                    description: The member's id. Anything but a UUID is a 404.
                    schema:
                      type: string
                      format: uuid
                post:
                  tags: [rewards]
                  operationId: redeemReward
                  summary: Redeem a reward for a member
                  description: |
                    Debits the member's points (from the lots that expire first) and the reward's
                    stock together, and issues a voucher code, or refuses with a 422 that changes
                    nothing. A member merged into another redeems from the survivor's account
                    (`member_id` in the answer).

                    `Idempotency-Key` is required: a retry with the same key and body (by the same
                    API key) returns the first answer again with `Idempotent-Replayed: true` and
                    never debits twice; the same key with another body is refused (422
                    `idempotency_key_reused`). A refused redemption records no key, so it may be
                    retried once the reason is gone.
                  x-tally-scope: redeem
                  parameters:
                    - $ref: '#/components/parameters/RequiredIdempotencyKey'
                  requestBody:
                    required: true
                    content:
                      application/json:
                        schema:
                          $ref: '#/components/schemas/RedemptionRequest'
                  responses:
                    '201':
                      description: The redemption, with its voucher and the member's balance after it (or the same answer again, for a retry with the same Idempotency-Key).
                      headers:
                        Idempotent-Replayed:
                          $ref: '#/components/headers/IdempotentReplayed'
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/Redemption'
                    '400':
                      $ref: '#/components/responses/BadRequest'
                      description: '`missing_idempotency_key`, or `invalid_json`: not JSON, `reward` or `quantity` missing, or a field of the wrong type.'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/NotFound'
                      description: '`member_not_found`.'
                    '413':
                      $ref: '#/components/responses/ContentTooLarge'
                    '422':
                      $ref: '#/components/responses/UnprocessableContent'
                      description: |
                        Refused, nothing changed: `insufficient_points`, `out_of_stock`,
                        `limit_reached` (the member's live redemptions of this reward would pass its
                        `per_member_limit`), `inactive` (outside the reward's active window),
                        `wrong_channel` (the reward is not redeemable through `channel`) or
                        `unknown_reward`. Or a field breaks a rule: `invalid_quantity`,
                        `invalid_channel`, `invalid_idempotency_key`, `idempotency_key_reused`.
                get:
                  tags: [rewards]
                  operationId: listMemberRedemptions
                  summary: List a member's redemptions, newest first
                  description: A merged member's redemptions are listed under the survivor.
                  x-tally-scope: redeem
                  parameters:
                    - name: cursor
                      in: query
                      description: The `next_cursor` of the previous page. Omit for the first page.
                      schema:
                        type: integer
                        format: int64
                        minimum: 1
                    - $ref: '#/components/parameters/Limit'
                  responses:
                    '200':
                      description: A page of redemptions.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/RedemptionPage'
                    '400':
                      $ref: '#/components/responses/BadRequest'
                      description: '`invalid_limit` or `invalid_cursor`.'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/NotFound'
                      description: '`member_not_found`.'
              /api/v1/redemptions/{id}/cancel:
                parameters:
                  - name: id
                    in: path
                    required: true
                    description: The redemption's id. Anything but a UUID is a 404.
                    schema:
                      type: string
                      format: uuid
                post:
                  tags: [rewards]
                  operationId: cancelRedemption
                  summary: Cancel a redemption within the programme's window
                  description: |
                    Returns the redemption's points to the lots they came from (so they keep
                    their expiry dates) and its units to the reward's stock, and appends a
                    `redemption_cancel` ledger entry with the reason. Allowed until
                    `cancellable_until` (the programme's `redemption_cancel_hours` after the
                    redemption, 72 by default). Cancelling twice is refused, so a retry cannot
                    return points twice.
                  x-tally-scope: redeem
                  requestBody:
                    required: true
                    content:
                      application/json:
                        schema:
                          $ref: '#/components/schemas/CancelRequest'
                  responses:
                    '200':
                      description: The redemption, cancelled, with the member's balance after it.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/Redemption'
                    '400':
                      $ref: '#/components/responses/BadRequest'
                      description: '`invalid_json`: not JSON, or `reason` missing.'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/NotFound'
                      description: '`redemption_not_found`.'
                    '409':
                      $ref: '#/components/responses/Conflict'
                      description: '`already_cancelled`, or `window_closed`: the time to cancel has passed.'
                    '413':
                      $ref: '#/components/responses/ContentTooLarge'
                    '422':
                      $ref: '#/components/responses/UnprocessableContent'
                      description: '`invalid_reason`: 1 to 500 characters, no control characters.'
            """#,
        schemas: #"""
                Reward:
                  type: object
                  required: [sku, name, description, cost_points, active, created_at, updated_at]
                  properties:
                    sku:
                      type: string
                      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'
                    name:
                      type: string
                      minLength: 1
                      maxLength: 200
                    description:
                      type: string
                      maxLength: 4000
                    image_url:
                      type: string
                      format: uri
                    cost_points:
                      type: integer
                      format: int64
                      description: Points per unit.
                      minimum: 1
                      maximum: 100000000
                    initial_stock:
                      type: integer
                      format: int64
                      description: Units ever made available; absent when unlimited. `initial_stock − stock` units are in live redemptions.
                      minimum: 0
                    stock:
                      type: integer
                      format: int64
                      description: Units left; absent when unlimited.
                      minimum: 0
                    per_member_limit:
                      type: integer
                      description: Units one member may hold in live (not cancelled) redemptions; absent when there is no limit.
                      minimum: 1
                    active_from:
                      type: string
                      format: date-time
                      description: Redeemable from then on; absent when always.
                    active_until:
                      type: string
                      format: date-time
                      description: Redeemable until just before then; absent when there is no end.
                    channels:
                      type: array
                      description: The channels it may be redeemed through; absent when every channel. The /me page redeems through `web`.
                      items:
                        type: string
                    active:
                      type: boolean
                      description: Inside its active window now (stock aside).
                    created_at:
                      type: string
                      format: date-time
                    updated_at:
                      type: string
                      format: date-time
                RewardPage:
                  type: object
                  required: [items]
                  properties:
                    items:
                      type: array
                      items:
                        $ref: '#/components/schemas/Reward'
                    next_cursor:
                      type: string
                      description: Pass as `cursor` for the next page; absent on the last page.
                RewardCreate:
                  type: object
                  required: [sku, name, cost_points]
                  properties:
                    sku:
                      type: string
                      description: 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit.
                      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'
                    name:
                      type: string
                      minLength: 1
                      maxLength: 200
                    description:
                      type: string
                      maxLength: 4000
                    image_url:
                      type: string
                      format: uri
                      description: An http or https URL, at most 2000 characters.
                      maxLength: 2000
                    cost_points:
                      type: integer
                      format: int64
                      minimum: 1
                      maximum: 100000000
                    stock:
                      type: [integer, 'null']
                      format: int64
                      description: Units available; left out or `null` for unlimited.
                      minimum: 0
                      maximum: 1000000000
                    per_member_limit:
                      type: [integer, 'null']
                      minimum: 1
                      maximum: 1000000
                    active_from:
                      type: [string, 'null']
                      format: date-time
                    active_until:
                      type: [string, 'null']
                      format: date-time
                      description: Must be later than `active_from`.
                    channels:
                      type: [array, 'null']
                      description: 1 to 20 distinct channel names; left out or `null` for every channel.
                      items:
                        type: string
                        pattern: '^[a-z][a-z0-9_]{1,31}$'
                      examples: [[web, wechat_miniprogram]]
                RewardUpdate:
                  type: object
                  properties:
                    sku:
                      type: string
                      description: May be sent only with the reward's own SKU.
                    name:
                      type: string
                      minLength: 1
                      maxLength: 200
                    description:
                      type: string
                      maxLength: 4000
                    image_url:
                      type: [string, 'null']
                      format: uri
                    cost_points:
                      type: integer
                      format: int64
                      minimum: 1
                      maximum: 100000000
                    stock:
                      type: [integer, 'null']
                      format: int64
                      description: Units available from now on; `null` makes the reward unlimited.
                      minimum: 0
                      maximum: 1000000000
                    add_stock:
                      type: integer
                      format: int64
                      description: Units to add to initial stock and stock (negative withdraws unredeemed units); not with `stock`.
                      minimum: -1000000000
                      maximum: 1000000000
                    per_member_limit:
                      type: [integer, 'null']
                      minimum: 1
                      maximum: 1000000
                    active_from:
                      type: [string, 'null']
                      format: date-time
                    active_until:
                      type: [string, 'null']
                      format: date-time
                    channels:
                      type: [array, 'null']
                      items:
                        type: string
                        pattern: '^[a-z][a-z0-9_]{1,31}$'
                RedemptionRequest:
                  type: object
                  required: [reward, quantity]
                  properties:
                    reward:
                      type: string
                      description: The reward's SKU.
                    quantity:
                      type: integer
                      minimum: 1
                      maximum: 100
                    channel:
                      type: string
                      description: The channel the member redeems through (checked against the reward's `channels`); `api` when left out.
                      pattern: '^[a-z][a-z0-9_]{1,31}$'
                      default: api
                      examples: [wechat_miniprogram]
                Redemption:
                  type: object
                  required: [id, member_id, reward, reward_name, quantity, points, voucher, status, channel, created_at]
                  properties:
                    id:
                      type: string
                      format: uuid
                    member_id:
                      type: string
                      format: uuid
                      description: The member holding it (after a merge, the survivor).
                    reward:
                      type: string
                      description: The reward's SKU.
                    reward_name:
                      type: string
                    quantity:
                      type: integer
                      minimum: 1
                      maximum: 100
                    points:
                      type: integer
                      format: int64
                      description: Points debited (the reward's cost × quantity at the time).
                    voucher:
                      type: string
                      description: What the member collects the reward with; 16 Crockford base32 characters in groups of four.
                      pattern: '^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$'
                      examples: [7KQ2-M9XD-4TRB-0HZE]
                    status:
                      type: string
                      enum: [issued, cancelled]
                    channel:
                      type: string
                    created_at:
                      type: string
                      format: date-time
                    cancelled_at:
                      type: string
                      format: date-time
                    cancellable_until:
                      type: string
                      format: date-time
                      description: Until when it may be cancelled; only on issued redemptions.
                    balance:
                      type: integer
                      format: int64
                      description: The member's balance right after this redemption or its cancellation; only in the answer to that request.
                RedemptionPage:
                  type: object
                  required: [items]
                  properties:
                    items:
                      type: array
                      items:
                        $ref: '#/components/schemas/Redemption'
                    next_cursor:
                      type: string
                      description: Pass as `cursor` for the next page; absent on the last page.
                CancelRequest:
                  type: object
                  required: [reason]
                  properties:
                    reason:
                      type: string
                      description: Why, for the ledger entry that returns the points.
                      minLength: 1
                      maxLength: 500
            """#
    )
}
