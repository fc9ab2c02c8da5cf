extension OpenAPISection {
    /// Claims by trusted channel backends.
    static let claims = OpenAPISection(
        paths: #"""
              /api/v1/claims:
                post:
                  tags: [claims]
                  operationId: claimCode
                  summary: Claim a code for a person a channel knows
                  description: |
                    A trusted channel backend (e.g. a WeChat mini-program server) claims a code
                    for a person it knows by a channel identity, optionally with their phone. The
                    points go to the same member account as claims on the landing page.

                    The member is found by `phone` first (the identity that unifies channels),
                    else by `identity`; a member is created if neither is known. The channel
                    identity is then linked to that member; if it already belongs to another
                    member than the phone's, the claim is refused (409 `identity_conflict`) until
                    the two are merged.

                    A code is claimed at most once. A refused claim changes nothing: no member,
                    identity, claim, ledger entry or Idempotency-Key is recorded.

                    `Idempotency-Key` is required: a retry with the same key and the same body
                    (by the same API key) returns the first answer again, with
                    `Idempotent-Replayed: true`, and never credits twice. The same key with a
                    different body is refused (422 `idempotency_key_reused`).
                  x-tally-scope: claim
                  parameters:
                    - $ref: '#/components/parameters/RequiredIdempotencyKey'
                  requestBody:
                    required: true
                    content:
                      application/json:
                        schema:
                          $ref: '#/components/schemas/ClaimRequest'
                  responses:
                    '201':
                      description: The code, claimed for the member (or the same answer again, for a retry with the same Idempotency-Key).
                      headers:
                        Idempotent-Replayed:
                          $ref: '#/components/headers/IdempotentReplayed'
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/ClaimResult'
                    '400':
                      $ref: '#/components/responses/BadRequest'
                      description: '`missing_idempotency_key`, or `invalid_json`: a body that is not JSON, lacks `code` or `identity`, or has a field of the wrong type.'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '409':
                      $ref: '#/components/responses/Conflict'
                      description: |
                        The code cannot be claimed now: `already_claimed` (the message says whether
                        by this member or by another member), `not_active` (not activated yet, or a
                        genuine code outside every batch), `voided`, `expired` (the batch's
                        `expiry_date` has passed), or `identity_conflict` (the channel identity
                        belongs to another member than the phone's; merge them first).
                    '413':
                      $ref: '#/components/responses/ContentTooLarge'
                    '422':
                      $ref: '#/components/responses/UnprocessableContent'
                      description: |
                        The code is not genuine: `malformed_code` (not shaped like a code),
                        `mistyped_code` (the check character does not match: ask the person to
                        re-check it) or `forged_code` (not issued by the brand). Or a field breaks a
                        rule: `invalid_phone`, `invalid_channel`, `invalid_external_id`,
                        `invalid_idempotency_key` (longer than 200 bytes), or `idempotency_key_reused`
                        (the key was used for a different request).
                    '429':
                      $ref: '#/components/responses/TooManyRequests'
                      description: '`daily_cap`: the member has reached the claims allowed per day (counted in the server''s time zone).'
                    '503':
                      description: |
                        `overloaded`: more claims are waiting for the database than the server
                        queues (`TALLY_CLAIM_QUEUE_LIMIT`). Nothing was done; send the same request
                        with the same Idempotency-Key again after `Retry-After` seconds.
                      headers:
                        Retry-After:
                          description: Seconds to wait before trying again.
                          schema:
                            type: integer
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/Error'
            """#,
        schemas: #"""
                ClaimRequest:
                  type: object
                  required: [code, identity]
                  properties:
                    code:
                      type: string
                      description: |
                        The code as printed or scanned: its 18 characters, grouped
                        (`100XSN-JKV2X7-HSAVAG`) or not, in either case; or the URL of its QR symbol
                        (`https://<host>/Q/<code>` or a GS1 Digital Link URL).
                      examples: [100XSNJKV2X7HSAVAG, 100XSN-JKV2X7-HSAVAG, 'https://tally.cn/Q/100XSNJKV2X7HSAVAG']
                    identity:
                      $ref: '#/components/schemas/Identity'
                    phone:
                      type: string
                      description: |
                        The person's mobile number, if the channel knows it; it finds the member
                        across channels. E.164 (`+8613800138000`); a mainland China number may also
                        be its 11 digits, with or without `86`, `+86` or `0086`, spaces or dashes.
                      examples: ['+8613800138000']
                    latitude:
                      type: number
                      description: Where the code was scanned, in degrees, if known; recorded with the scan. A value outside −90…90 is ignored.
                    longitude:
                      type: number
                      description: Where the code was scanned, in degrees, if known; recorded with the scan. A value outside −180…180 is ignored.
                Identity:
                  type: object
                  description: A person's identity in one channel.
                  required: [channel, external_id]
                  properties:
                    channel:
                      type: string
                      description: The channel, e.g. `wechat_unionid`, `tmall` or `jd`; 2 to 32 lower-case letters, digits or `_`, starting with a letter.
                      pattern: '^[a-z][a-z0-9_]{1,31}$'
                      examples: [wechat_unionid, tmall, jd]
                    external_id:
                      type: string
                      description: The person's id in that channel, e.g. a WeChat UnionID; 1 to 200 characters.
                      minLength: 1
                      maxLength: 200
                      examples: [o6_bmjrPTlm6_2sgVt7hMZOPfL2M]
                ClaimResult:
                  type: object
                  required: [outcome, code, member_id, points, balance]
                  properties:
                    outcome:
                      type: string
                      const: claimed
                    code:
                      type: string
                      description: The code claimed, in its canonical 18-character form.
                      pattern: '^[0-9A-HJKMNP-TV-Z]{18}$'
                    member_id:
                      type: string
                      format: uuid
                      description: The member credited.
                    points:
                      type: integer
                      description: The points this code earned (the batch's `points_per_code`).
                      minimum: 1
                    balance:
                      type: integer
                      format: int64
                      description: The member's balance after the claim.
                      minimum: 0
            """#
    )
}
