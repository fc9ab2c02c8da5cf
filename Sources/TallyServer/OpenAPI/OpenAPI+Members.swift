extension OpenAPISection {
    /// The CRM's member API: lookup, profile, ledger, identities, adjustments, merges.
    static let members = OpenAPISection(
        paths: #"""
              /api/v1/members:
                get:
                  tags: [members]
                  operationId: findMember
                  summary: Find a member by phone or by any channel identity
                  description: |
                    `?phone=` (typed in any usual way; normalised to E.164) or
                    `?channel=&external_id=` (e.g. `channel=tmall&external_id=t_2291`).
                  x-tally-scope: crm:read
                  parameters:
                    - {name: phone, in: query, schema: {type: string}}
                    - {name: channel, in: query, schema: {type: string}}
                    - {name: external_id, in: query, schema: {type: string}}
                  responses:
                    '200':
                      description: The member's profile.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/MemberProfile'
                    '400':
                      $ref: '#/components/responses/BadRequest'
                      description: '`missing_identity`: neither `phone` nor `channel` and `external_id` given.'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/NotFound'
                      description: '`member_not_found`: nobody holds this identity.'
                    '422':
                      $ref: '#/components/responses/UnprocessableContent'
                      description: '`invalid_channel` or `invalid_external_id`.'
              /api/v1/members/{id}:
                get:
                  tags: [members]
                  operationId: getMember
                  summary: A member's profile
                  description: |
                    Balance, lifetime earned / redeemed / expired, tier, identities, points
                    expiring in the next 30/60/90 days, first and last scan, and claims per
                    channel, product and region. Members merged into this one count as part of it.
                  x-tally-scope: crm:read
                  parameters:
                    - $ref: '#/components/parameters/MemberID'
                  responses:
                    '200':
                      description: The profile.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/MemberProfile'
                    '301':
                      $ref: '#/components/responses/MemberMoved'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/MemberNotFound'
              /api/v1/members/{id}/ledger:
                get:
                  tags: [members]
                  operationId: getMemberLedger
                  summary: A member's points ledger, newest first
                  description: Includes the entries of members merged into this one (each entry names the member it was written under).
                  x-tally-scope: crm:read
                  parameters:
                    - $ref: '#/components/parameters/MemberID'
                    - $ref: '#/components/parameters/Limit'
                    - name: cursor
                      in: query
                      description: '`next_cursor` of the previous page.'
                      schema: {type: integer, format: int64, minimum: 1}
                    - name: kind
                      in: query
                      schema: {type: string, enum: [claim, redemption, redemption_cancel, adjustment, expiry, merge_in, merge_out]}
                    - name: from
                      in: query
                      description: Entries at or after this time (ISO 8601).
                      schema: {type: string, format: date-time}
                    - name: to
                      in: query
                      description: Entries before this time (ISO 8601).
                      schema: {type: string, format: date-time}
                  responses:
                    '200':
                      description: A page of entries.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/LedgerPage'
                    '301':
                      $ref: '#/components/responses/MemberMoved'
                    '400':
                      $ref: '#/components/responses/BadRequest'
                      description: '`invalid_limit`, `invalid_cursor`, `invalid_from` or `invalid_to`.'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/MemberNotFound'
                    '422':
                      $ref: '#/components/responses/UnprocessableContent'
                      description: '`invalid_kind`.'
              /api/v1/members/{id}/identities:
                post:
                  tags: [members]
                  operationId: linkIdentity
                  summary: Link a channel identity to a member
                  description: Linking an identity the member holds already changes nothing (200). An identity held by another member is a 409; merge the two members instead.
                  x-tally-scope: crm:write
                  parameters:
                    - $ref: '#/components/parameters/MemberID'
                  requestBody:
                    required: true
                    content:
                      application/json:
                        schema:
                          $ref: '#/components/schemas/Identity'
                  responses:
                    '200':
                      description: The member held it already; the profile.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/MemberProfile'
                    '201':
                      description: Linked; the profile.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/MemberProfile'
                    '308':
                      $ref: '#/components/responses/MemberMoved'
                    '400':
                      $ref: '#/components/responses/BadRequest'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/MemberNotFound'
                    '409':
                      $ref: '#/components/responses/Conflict'
                      description: '`identity_conflict`: another member holds it.'
                    '413':
                      $ref: '#/components/responses/ContentTooLarge'
                    '422':
                      $ref: '#/components/responses/UnprocessableContent'
                      description: '`invalid_channel` or `invalid_external_id`.'
              /api/v1/members/{id}/identities/{channel}/{external_id}:
                delete:
                  tags: [members]
                  operationId: unlinkIdentity
                  summary: Unlink a channel identity from a member
                  description: A member keeps at least one identity.
                  x-tally-scope: crm:write
                  parameters:
                    - $ref: '#/components/parameters/MemberID'
                    - {name: channel, in: path, required: true, schema: {type: string}}
                    - {name: external_id, in: path, required: true, description: 'Percent-encoded (a phone as %2B8613800138000).', schema: {type: string}}
                  responses:
                    '204':
                      description: Unlinked.
                    '308':
                      $ref: '#/components/responses/MemberMoved'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/NotFound'
                      description: '`member_not_found`, or `identity_not_found`: the member does not hold it.'
                    '409':
                      $ref: '#/components/responses/Conflict'
                      description: '`last_identity`: it is the member''s only identity.'
                    '422':
                      $ref: '#/components/responses/UnprocessableContent'
                      description: '`invalid_channel` or `invalid_external_id`.'
              /api/v1/members/{id}/adjustments:
                post:
                  tags: [members]
                  operationId: adjustPoints
                  summary: Credit or debit points by hand
                  description: |
                    A positive `points` credits a new lot (expiring by the programme's rule); a
                    negative one debits the lots that expire first and may not exceed the balance.
                    The ledger entry records the reason and the acting API key. `Idempotency-Key`
                    is required; a retry returns the first answer with `Idempotent-Replayed: true`.
                  x-tally-scope: crm:write
                  parameters:
                    - $ref: '#/components/parameters/MemberID'
                    - $ref: '#/components/parameters/RequiredIdempotencyKey'
                  requestBody:
                    required: true
                    content:
                      application/json:
                        schema:
                          $ref: '#/components/schemas/Adjustment'
                  responses:
                    '201':
                      description: Adjusted.
                      headers:
                        Idempotent-Replayed:
                          $ref: '#/components/headers/IdempotentReplayed'
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/AdjustmentResult'
                    '308':
                      $ref: '#/components/responses/MemberMoved'
                    '400':
                      $ref: '#/components/responses/BadRequest'
                      description: '`missing_idempotency_key` or `invalid_json`.'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/MemberNotFound'
                    '413':
                      $ref: '#/components/responses/ContentTooLarge'
                    '422':
                      $ref: '#/components/responses/UnprocessableContent'
                      description: '`invalid_points`, `invalid_reason`, `insufficient_points`, `invalid_idempotency_key` or `idempotency_key_reused`.'
              /api/v1/members/{id}/merge:
                post:
                  tags: [members]
                  operationId: mergeMembers
                  summary: Merge another member into this one
                  description: |
                    When two records turn out to be one person: the member `absorb` names gives
                    this member (the survivor) its identities, points lots, redemptions, lifetime
                    counters and balance (as a `merge_out` / `merge_in` pair of ledger entries), in
                    one transaction, with an audit record. The absorbed id then answers every
                    member route with a redirect to the survivor. `Idempotency-Key` is required.
                  x-tally-scope: crm:write
                  parameters:
                    - $ref: '#/components/parameters/MemberID'
                    - $ref: '#/components/parameters/RequiredIdempotencyKey'
                  requestBody:
                    required: true
                    content:
                      application/json:
                        schema:
                          type: object
                          required: [absorb, reason]
                          properties:
                            absorb:
                              type: string
                              format: uuid
                            reason:
                              type: string
                              minLength: 1
                              maxLength: 500
                  responses:
                    '200':
                      description: Merged.
                      headers:
                        Idempotent-Replayed:
                          $ref: '#/components/headers/IdempotentReplayed'
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/MergeResult'
                    '308':
                      $ref: '#/components/responses/MemberMoved'
                    '400':
                      $ref: '#/components/responses/BadRequest'
                      description: '`missing_idempotency_key` or `invalid_json`.'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '404':
                      $ref: '#/components/responses/MemberNotFound'
                    '409':
                      $ref: '#/components/responses/Conflict'
                      description: '`already_merged`: the member to absorb was merged before.'
                    '413':
                      $ref: '#/components/responses/ContentTooLarge'
                    '422':
                      $ref: '#/components/responses/UnprocessableContent'
                      description: '`same_member`, `invalid_reason`, `invalid_idempotency_key` or `idempotency_key_reused`.'
            """#,
        schemas: #"""
                MemberProfile:
                  type: object
                  required: [id, balance, lifetime_earned, lifetime_redeemed, lifetime_expired, created_at, identities, merged_from, expiring, claims, claims_by_channel, claims_by_region, claims_by_product]
                  properties:
                    id: {type: string, format: uuid}
                    balance: {type: integer, format: int64, minimum: 0}
                    lifetime_earned: {type: integer, format: int64, description: Credited by claims and adjustments, net of debit adjustments.}
                    lifetime_redeemed: {type: integer, format: int64, description: Spent on rewards, net of cancellations.}
                    lifetime_expired: {type: integer, format: int64}
                    tier: {type: string, description: Absent when the member reaches no tier.}
                    created_at: {type: string, format: date-time}
                    identities:
                      type: array
                      items:
                        type: object
                        required: [channel, external_id, linked_at]
                        properties:
                          channel: {type: string}
                          external_id: {type: string}
                          linked_at: {type: string, format: date-time}
                    merged_from:
                      type: array
                      description: Members merged into this one.
                      items: {type: string, format: uuid}
                    expiring:
                      type: object
                      description: Points that expire within the next 30, 60 and 90 days (each includes the shorter spans).
                      required: [next30_days, next60_days, next90_days]
                      properties:
                        next30_days: {type: integer, format: int64}
                        next60_days: {type: integer, format: int64}
                        next90_days: {type: integer, format: int64}
                    first_scan_at: {type: string, format: date-time}
                    last_scan_at: {type: string, format: date-time}
                    claims: {type: integer, format: int64}
                    claims_by_channel:
                      type: object
                      additionalProperties: {type: integer, format: int64}
                    claims_by_region:
                      type: object
                      description: By the region printed on the batch; `unknown` for batches without one.
                      additionalProperties: {type: integer, format: int64}
                    claims_by_product:
                      type: array
                      items:
                        type: object
                        required: [sku, name, claims]
                        properties:
                          sku: {type: string}
                          name: {type: string}
                          claims: {type: integer, format: int64}
                LedgerEntry:
                  type: object
                  required: [id, member_id, kind, points, balance_after, created_at]
                  properties:
                    id: {type: integer, format: int64}
                    member_id: {type: string, format: uuid, description: The member the entry was written under (this one or one merged into it).}
                    kind: {type: string, enum: [claim, redemption, redemption_cancel, adjustment, expiry, merge_in, merge_out]}
                    points: {type: integer, format: int64, description: Credits positive, debits negative.}
                    balance_after: {type: integer, format: int64}
                    code_kid: {type: integer}
                    code_serial: {type: integer, format: int64}
                    reason: {type: string}
                    actor: {type: string}
                    created_at: {type: string, format: date-time}
                LedgerPage:
                  type: object
                  required: [items]
                  properties:
                    items:
                      type: array
                      items:
                        $ref: '#/components/schemas/LedgerEntry'
                    next_cursor: {type: string}
                Adjustment:
                  type: object
                  required: [points, reason]
                  properties:
                    points: {type: integer, format: int64, minimum: -10000000, maximum: 10000000, not: {const: 0}}
                    reason: {type: string, minLength: 1, maxLength: 500}
                AdjustmentResult:
                  type: object
                  required: [member_id, entry_id, points, balance]
                  properties:
                    member_id: {type: string, format: uuid}
                    entry_id: {type: integer, format: int64}
                    points: {type: integer, format: int64}
                    balance: {type: integer, format: int64}
                MergeResult:
                  type: object
                  required: [member_id, absorbed_id, points_moved, identities_moved, balance]
                  properties:
                    member_id: {type: string, format: uuid, description: The survivor.}
                    absorbed_id: {type: string, format: uuid}
                    points_moved: {type: integer, format: int64}
                    identities_moved: {type: integer}
                    balance: {type: integer, format: int64}
                MemberMoved:
                  type: object
                  required: [id, merged_into]
                  properties:
                    id: {type: string, format: uuid}
                    merged_into: {type: string, format: uuid}
            """#
    )
}
