/// The OpenAPI 3.1 contract of the JSON API, served at `/openapi.yaml`.
/// Tests check that every route served is in it with its scope, and nothing more.
///
/// Each area of the API keeps its paths and schemas in its own file (`OpenAPI+<Area>.swift`);
/// this file holds what they share and puts them together.
enum OpenAPIDocument {
    static let sections: [OpenAPISection] = [.packaging, .claims, .members, .programme, .rewards, .webhooks, .operations]

    static let yaml: String = (
        [header, "paths:"] + sections.map(\.paths) + [components] + sections.compactMap(\.schemas)
    ).joined(separator: "\n") + "\n"

    static let header = #"""
        openapi: 3.1.0
        info:
          title: Tally API
          version: 1.0.0
          summary: QR loyalty points, for the packaging line, channel backends and the brand's CRM.
          description: |
            The JSON API of a Tally server.

            - **JSON**: request and response bodies are JSON objects with snake_case keys;
              times are ISO 8601 (`2025-03-01T08:30:00Z`), dates are `YYYY-MM-DD`. A field
              with no value is left out of a response, never sent as `null`. Unknown
              request fields are ignored.
            - **Authentication**: every `/api` route needs an API key,
              `Authorization: Bearer tly_…`. A missing, unknown, expired or revoked key is
              a 401; a key without the route's scope is a 403. Each operation names the
              one scope it needs in `x-tally-scope`; a key with the `admin` scope may call
              every operation.
            - **Errors**: every error from an `/api` route has the body
              `{"error": {"code": "…", "message": "…"}}`. `code` is stable and meant for
              programs; `message` is for people and may change.
            - **Limits**: request bodies are at most 64 KiB; pages have at most 200
              items; a batch has at most 50,000,000 codes; a ZIP of QR images has at
              most 10,000 images.
            - Every response carries an `X-Request-Id` header, the id the server logs
              the request under.
        tags:
          - name: products
            description: The catalogue that batches of codes are minted for.
          - name: batches
            description: Batches of codes, their serial ranges and their lifecycle (created → active → voided).
          - name: exports
            description: |
              Codes of a batch for printers: CSV or URL lists, single QR images and ZIPs
              of images. Every export is recorded in an audit log before its first byte,
              because printed codes are secrets until printed.
          - name: claims
            description: |
              Claims of codes by trusted channel backends (mini-programs, marketplaces) for
              the people they know, crediting the same member accounts as the landing page.
          - name: members
            description: |
              Members as the brand's CRM sees them: profile, ledger, identities, manual
              adjustments, merges and segments.
          - name: programme
            description: The programme's rules (points expiry, tiers, the redemption cancel window).
          - name: rewards
            description: The rewards catalogue, redemptions and their cancellation.
          - name: webhooks
            description: Subscriptions to events, and their deliveries.
          - name: reports
            description: Reports for finance.
          - name: ops
            description: Health, readiness, metrics and this document. No authentication.
        security:
          - apiKey: []
        """#

    /// Security schemes, shared parameters and responses, then the `schemas:` the sections fill.
    static let components = #"""
        components:
          securitySchemes:
            apiKey:
              type: http
              scheme: bearer
              bearerFormat: tly_XXXXXXXX_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX
              description: |
                An API key, created with `tally apikey create`, sent as
                `Authorization: Bearer tly_…`. Scopes: `mint`, `claim`, `crm:read`,
                `crm:write`, `redeem`, `admin` (admin allows everything).
          parameters:
            MemberID:
              name: id
              in: path
              required: true
              description: The member's id (a UUID).
              schema:
                type: string
                format: uuid
            RequiredIdempotencyKey:
              name: Idempotency-Key
              in: header
              required: true
              description: |
                A unique value per write, e.g. a UUID; 1 to 200 bytes. A retry with the same key
                and body (by the same API key) returns the first answer again, with
                `Idempotent-Replayed: true`; the same key with another body is a 422
                `idempotency_key_reused`.
              schema:
                type: string
                minLength: 1
                maxLength: 200
            Limit:
              name: limit
              in: query
              description: Page size, at most 200.
              schema:
                type: integer
                minimum: 1
                maximum: 200
                default: 50
            BatchID:
              name: id
              in: path
              required: true
              description: The batch id. Anything but a positive integer is a 404.
              schema:
                type: integer
                format: int64
                minimum: 1
            Sequence:
              name: seq
              in: path
              required: true
              description: The code's sequence in its batch, 0 to quantity − 1.
              schema:
                type: integer
                format: int64
                minimum: 0
            From:
              name: from
              in: query
              description: The sequence of the first code; default 0.
              schema:
                type: integer
                format: int64
                minimum: 0
                default: 0
            ModuleSize:
              name: module_size
              in: query
              description: Pixels (PNG) or user units (SVG) per QR module.
              schema:
                type: integer
                minimum: 1
                maximum: 40
                default: 8
          headers:
            IdempotentReplayed:
              description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key.'
              schema:
                type: string
                enum: ['true']
            ContentDisposition:
              description: '`attachment; filename="batch-<id>-<first>-<last>.<ext>"`.'
              schema:
                type: string
          responses:
            MemberMoved:
              description: |
                The member was merged into another: `Location` is the same path under the
                survivor (301 for reads; 308 for writes, which keeps the method and body).
              headers:
                Location:
                  schema:
                    type: string
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/MemberMoved'
            MemberNotFound:
              description: '`member_not_found`: no member has this id.'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
            BadRequest:
              description: The request is malformed (a query parameter out of range, a body that is not JSON or has a field of the wrong type, a missing header).
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
            Unauthorized:
              description: '`unauthorized`: no API key, or one that is unknown, expired or revoked.'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
                  example:
                    error:
                      code: unauthorized
                      message: 'a valid API key is required: Authorization: Bearer tly_…'
            Forbidden:
              description: '`forbidden`: the API key lacks the scope this operation needs.'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
                  example:
                    error:
                      code: forbidden
                      message: this API key lacks the scope admin
            NotFound:
              description: The resource does not exist.
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
            BatchNotFound:
              description: '`batch_not_found`: no batch has this id.'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
            CodeNotFound:
              description: '`batch_not_found`, or `code_not_found`: the batch has no code with this sequence.'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
            Conflict:
              description: The request conflicts with the current state.
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
            KeyRetired:
              description: '`key_retired`: the batch was signed with a key this server no longer holds.'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
            ContentTooLarge:
              description: '`body_too_large`: the request body is larger than 64 KiB.'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
            UnprocessableContent:
              description: The request is well-formed but breaks a rule; `error.code` says which.
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
            TooManyRequests:
              description: Too many requests of this kind; `error.code` says which.
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
            InvalidRange:
              description: '`invalid_range`: `from` or `count` lies outside the batch.'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
          schemas:
        """#
}

/// One area's part of the contract: YAML under `paths:` (indented two spaces) and under
/// `components.schemas:` (indented four).
struct OpenAPISection {
    let paths: String
    let schemas: String?
}
