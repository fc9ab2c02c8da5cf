extension OpenAPISection {
    /// The programme's rules, the liability report and member segments.
    static let programme = OpenAPISection(
        paths: #"""
              /api/v1/programme:
                get:
                  tags: [programme]
                  operationId: getProgramme
                  summary: The programme's rules
                  x-tally-scope: crm:read
                  responses:
                    '200':
                      description: The rules.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/Programme'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                put:
                  tags: [programme]
                  operationId: replaceProgramme
                  summary: Replace the programme's rules
                  description: |
                    Points expiry applies to points credited from now on. When the tiers or their
                    window change, every member's tier is recomputed by the tier job in the
                    background (and at once on their next credit).
                  x-tally-scope: admin
                  requestBody:
                    required: true
                    content:
                      application/json:
                        schema:
                          $ref: '#/components/schemas/Programme'
                  responses:
                    '200':
                      description: The rules now in force.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/Programme'
                    '400':
                      $ref: '#/components/responses/BadRequest'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '413':
                      $ref: '#/components/responses/ContentTooLarge'
                    '422':
                      $ref: '#/components/responses/UnprocessableContent'
                      description: '`invalid_points_valid_months`, `invalid_tier_window_months`, `invalid_redemption_cancel_hours` or `invalid_tiers`.'
              /api/v1/reports/liability:
                get:
                  tags: [reports]
                  operationId: liabilityReport
                  summary: Points issued, redeemed, expired and outstanding per month
                  description: |
                    Months in the server's time zone (`TALLY_TIME_ZONE`). `issued` counts claims and
                    adjustments (net of debits), `redeemed` is net of cancellations, `outstanding` is
                    the sum of balances at the month's end. Merges move points between members and
                    are left out.
                  x-tally-scope: crm:read
                  parameters:
                    - name: from
                      in: query
                      description: First month, `YYYY-MM` (default eleven months before `to`).
                      schema: {type: string, pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$'}
                    - name: to
                      in: query
                      description: Last month, `YYYY-MM` (default this month). At most 240 months.
                      schema: {type: string, pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$'}
                  responses:
                    '200':
                      description: The report.
                      content:
                        application/json:
                          schema:
                            $ref: '#/components/schemas/LiabilityReport'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
                    '422':
                      $ref: '#/components/responses/UnprocessableContent'
                      description: '`invalid_month`.'
              /api/v1/segments/members.csv:
                get:
                  tags: [members]
                  operationId: exportSegment
                  summary: A segment of members as a CSV stream
                  description: |
                    `new`: first claim within the last `days` days. `returning`: first claim
                    before them and a claim within them. `lapsed`: no claim for `lapsed_days`
                    days. `all`: everybody. `tier` narrows any of them. Columns:
                    `member_id,phone,tier,balance,lifetime_earned,claims,first_claim_at,last_claim_at`.
                  x-tally-scope: crm:read
                  parameters:
                    - {name: segment, in: query, schema: {type: string, enum: [new, returning, lapsed, all], default: all}}
                    - {name: days, in: query, schema: {type: integer, minimum: 1, maximum: 3650, default: 30}}
                    - {name: lapsed_days, in: query, schema: {type: integer, minimum: 1, maximum: 3650, default: 90}}
                    - {name: tier, in: query, schema: {type: string}}
                  responses:
                    '200':
                      description: The members, streamed.
                      headers:
                        Content-Disposition:
                          $ref: '#/components/headers/ContentDisposition'
                      content:
                        text/csv:
                          schema:
                            type: string
                    '400':
                      $ref: '#/components/responses/BadRequest'
                      description: '`invalid_segment`, `invalid_days` or `invalid_lapsed_days`.'
                    '401':
                      $ref: '#/components/responses/Unauthorized'
                    '403':
                      $ref: '#/components/responses/Forbidden'
            """#,
        schemas: #"""
                Programme:
                  type: object
                  required: [points_valid_months, tier_window_months, redemption_cancel_hours, tiers]
                  properties:
                    points_valid_months: {type: integer, minimum: 0, maximum: 120, description: Months credited points stay spendable; 0 means they never expire. A batch may set its own.}
                    tier_window_months: {type: integer, minimum: 1, maximum: 60, description: Tiers go by points earned within this many trailing months.}
                    redemption_cancel_hours: {type: integer, minimum: 0, maximum: 8760}
                    tiers:
                      type: array
                      maxItems: 20
                      items:
                        type: object
                        required: [name, min_earned]
                        properties:
                          name: {type: string, pattern: '^[a-z][a-z0-9_]{0,31}$'}
                          min_earned: {type: integer, format: int64, minimum: 0}
                LiabilityReport:
                  type: object
                  required: [time_zone, months, outstanding]
                  properties:
                    time_zone: {type: string}
                    outstanding: {type: integer, format: int64, description: Sum of all balances now.}
                    months:
                      type: array
                      items:
                        type: object
                        required: [month, issued, redeemed, expired, outstanding]
                        properties:
                          month: {type: string, example: 2026-03}
                          issued: {type: integer, format: int64}
                          redeemed: {type: integer, format: int64}
                          expired: {type: integer, format: int64}
                          outstanding: {type: integer, format: int64}
            """#
    )
}
