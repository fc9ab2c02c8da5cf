/// The OpenAPI 3.1 contract of the JSON API, served at `/openapi.yaml`.
/// Tests check that every route served is in it with its scope, and nothing more.
enum OpenAPIDocument {
    static let yaml = #"""
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
          - name: ops
            description: Health, readiness, metrics and this document. No authentication.
        security:
          - apiKey: []
        paths:
          /api/v1/products:
            post:
              tags: [products]
              operationId: createProduct
              summary: Create a product
              x-tally-scope: admin
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: '#/components/schemas/ProductCreate'
              responses:
                '201':
                  description: The product, created.
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/Product'
                '400':
                  $ref: '#/components/responses/BadRequest'
                '401':
                  $ref: '#/components/responses/Unauthorized'
                '403':
                  $ref: '#/components/responses/Forbidden'
                '409':
                  $ref: '#/components/responses/Conflict'
                  description: '`sku_taken` or `gtin_taken`: another product has this SKU or GTIN.'
                '413':
                  $ref: '#/components/responses/ContentTooLarge'
                '422':
                  $ref: '#/components/responses/UnprocessableContent'
                  description: |
                    A field breaks a rule: `missing_sku`, `missing_name`, `missing_default_points`,
                    `invalid_sku`, `invalid_name`, `invalid_default_points`, `invalid_gtin`,
                    `invalid_image_url` or `invalid_description`.
            get:
              tags: [products]
              operationId: listProducts
              summary: List products in SKU order
              description: Pages of at most 200 products, in SKU order.
              x-tally-scope: mint
              parameters:
                - name: cursor
                  in: query
                  description: The `next_cursor` of the previous page (the last SKU on it). Omit for the first page.
                  schema:
                    type: string
                - $ref: '#/components/parameters/Limit'
              responses:
                '200':
                  description: A page of products.
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/ProductPage'
                '400':
                  $ref: '#/components/responses/BadRequest'
                  description: '`invalid_limit`.'
                '401':
                  $ref: '#/components/responses/Unauthorized'
                '403':
                  $ref: '#/components/responses/Forbidden'
          /api/v1/products/{sku}:
            parameters:
              - name: sku
                in: path
                required: true
                schema:
                  type: string
            get:
              tags: [products]
              operationId: getProduct
              summary: Get a product
              x-tally-scope: mint
              responses:
                '200':
                  description: The product.
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/Product'
                '401':
                  $ref: '#/components/responses/Unauthorized'
                '403':
                  $ref: '#/components/responses/Forbidden'
                '404':
                  $ref: '#/components/responses/NotFound'
                  description: '`product_not_found`.'
            patch:
              tags: [products]
              operationId: updateProduct
              summary: Change some fields of a product
              description: |
                Fields left out keep their value; a field cannot be cleared. The SKU cannot
                change: `sku` may be sent only with the product's own SKU.
              x-tally-scope: admin
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: '#/components/schemas/ProductUpdate'
              responses:
                '200':
                  description: The product, changed.
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/Product'
                '400':
                  $ref: '#/components/responses/BadRequest'
                '401':
                  $ref: '#/components/responses/Unauthorized'
                '403':
                  $ref: '#/components/responses/Forbidden'
                '404':
                  $ref: '#/components/responses/NotFound'
                  description: '`product_not_found`.'
                '409':
                  $ref: '#/components/responses/Conflict'
                  description: '`gtin_taken`: another product has this GTIN.'
                '413':
                  $ref: '#/components/responses/ContentTooLarge'
                '422':
                  $ref: '#/components/responses/UnprocessableContent'
                  description: |
                    A field breaks a rule: `sku_immutable`, `invalid_name`, `invalid_default_points`,
                    `invalid_gtin`, `invalid_image_url` or `invalid_description`.
          /api/v1/batches:
            post:
              tags: [batches]
              operationId: createBatch
              summary: Create a batch of codes
              description: |
                Allocates a contiguous range of serials under the server's newest signing
                key; no codes are stored. A batch has 1 to 50,000,000 codes, all in state
                `created` until activated.

                `Idempotency-Key` is required: a retry with the same key and the same body
                (by the same API key) returns the first answer again, with
                `Idempotent-Replayed: true`, and never allocates a second range. The same
                key with a different body is refused (422 `idempotency_key_reused`).
              x-tally-scope: mint
              parameters:
                - name: Idempotency-Key
                  in: header
                  required: true
                  description: A unique value per batch order, e.g. a UUID; 1 to 200 bytes.
                  schema:
                    type: string
                    minLength: 1
                    maxLength: 200
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      $ref: '#/components/schemas/NewBatch'
              responses:
                '201':
                  description: The batch, created (or the same batch again, for a retry with the same Idempotency-Key).
                  headers:
                    Idempotent-Replayed:
                      description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key.'
                      schema:
                        type: string
                        enum: ['true']
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/Batch'
                '400':
                  $ref: '#/components/responses/BadRequest'
                  description: '`missing_idempotency_key`, or a body that is not JSON, lacks `sku` or `quantity`, or has a field of the wrong type.'
                '401':
                  $ref: '#/components/responses/Unauthorized'
                '403':
                  $ref: '#/components/responses/Forbidden'
                '404':
                  $ref: '#/components/responses/NotFound'
                  description: '`product_not_found`: no product has this SKU.'
                '409':
                  $ref: '#/components/responses/Conflict'
                  description: '`serial_space_exhausted`: the signing key has no room for this many more serials; rotate the key.'
                '413':
                  $ref: '#/components/responses/ContentTooLarge'
                '422':
                  $ref: '#/components/responses/UnprocessableContent'
                  description: |
                    A field breaks a rule (`invalid_quantity`, `invalid_points`, `invalid_lot`,
                    `invalid_region`, `invalid_channel`, `invalid_production_date`,
                    `invalid_expiry_date`, `invalid_date`, `invalid_dates`, `invalid_url_form`,
                    `product_has_no_gtin`), `invalid_idempotency_key` (longer than 200 bytes),
                    or `idempotency_key_reused` (the key was used for a different request).
            get:
              tags: [batches]
              operationId: listBatches
              summary: List batches, newest first
              description: Pages of at most 200 batches, newest (highest id) first.
              x-tally-scope: mint
              parameters:
                - name: cursor
                  in: query
                  description: The `next_cursor` of the previous page (the last batch id on it). Omit for the first page.
                  schema:
                    type: integer
                    format: int64
                    minimum: 1
                - $ref: '#/components/parameters/Limit'
                - name: sku
                  in: query
                  description: Only batches of this product.
                  schema:
                    type: string
              responses:
                '200':
                  description: A page of batches.
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/BatchPage'
                '400':
                  $ref: '#/components/responses/BadRequest'
                  description: '`invalid_cursor` or `invalid_limit`.'
                '401':
                  $ref: '#/components/responses/Unauthorized'
                '403':
                  $ref: '#/components/responses/Forbidden'
          /api/v1/batches/{id}:
            parameters:
              - $ref: '#/components/parameters/BatchID'
            get:
              tags: [batches]
              operationId: getBatch
              summary: Get a batch and the states of its codes
              x-tally-scope: mint
              responses:
                '200':
                  description: The batch.
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/Batch'
                '401':
                  $ref: '#/components/responses/Unauthorized'
                '403':
                  $ref: '#/components/responses/Forbidden'
                '404':
                  $ref: '#/components/responses/BatchNotFound'
          /api/v1/batches/{id}/activate:
            parameters:
              - $ref: '#/components/parameters/BatchID'
            post:
              tags: [batches]
              operationId: activateBatch
              summary: Activate codes of a batch
              description: |
                Makes codes claimable: the whole batch when the body is empty, or the
                sub-range `from`, `count`. Activating active codes again is harmless;
                voided codes can never be activated.
              x-tally-scope: mint
              requestBody:
                required: false
                content:
                  application/json:
                    schema:
                      $ref: '#/components/schemas/StateChange'
              responses:
                '200':
                  description: The batch, with its codes' new states.
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/Batch'
                '400':
                  $ref: '#/components/responses/BadRequest'
                '401':
                  $ref: '#/components/responses/Unauthorized'
                '403':
                  $ref: '#/components/responses/Forbidden'
                '404':
                  $ref: '#/components/responses/BatchNotFound'
                '409':
                  $ref: '#/components/responses/Conflict'
                  description: '`codes_voided`: part of the range is voided.'
                '413':
                  $ref: '#/components/responses/ContentTooLarge'
                '422':
                  $ref: '#/components/responses/UnprocessableContent'
                  description: '`invalid_range` or `invalid_reason` (longer than 500 characters).'
          /api/v1/batches/{id}/void:
            parameters:
              - $ref: '#/components/parameters/BatchID'
            post:
              tags: [batches]
              operationId: voidBatch
              summary: Void codes of a batch
              description: |
                Voids codes for good (e.g. a stolen or misprinted roll): the whole batch,
                or the sub-range `from`, `count`. A reason is required.
              x-tally-scope: mint
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      allOf:
                        - $ref: '#/components/schemas/StateChange'
                        - required: [reason]
              responses:
                '200':
                  description: The batch, with its codes' new states.
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/Batch'
                '400':
                  $ref: '#/components/responses/BadRequest'
                '401':
                  $ref: '#/components/responses/Unauthorized'
                '403':
                  $ref: '#/components/responses/Forbidden'
                '404':
                  $ref: '#/components/responses/BatchNotFound'
                '413':
                  $ref: '#/components/responses/ContentTooLarge'
                '422':
                  $ref: '#/components/responses/UnprocessableContent'
                  description: '`missing_reason`, `invalid_reason` (longer than 500 characters) or `invalid_range`.'
          /api/v1/batches/{id}/codes:
            parameters:
              - $ref: '#/components/parameters/BatchID'
            get:
              tags: [exports]
              operationId: exportCodes
              summary: Export a batch's codes as CSV or a URL list
              description: |
                Streams the codes `from ..< from + count` (default: the whole batch, up
                to 50,000,000 codes) with flat memory. CSV has the header
                `sequence,serial,code,grouped,url`; `txt` is one URL per line. URLs are
                GS1 Digital Link URLs for batches with `url_form: gs1`, short URLs otherwise.
              x-tally-scope: mint
              parameters:
                - name: format
                  in: query
                  schema:
                    type: string
                    enum: [csv, txt]
                    default: csv
                - $ref: '#/components/parameters/From'
                - name: count
                  in: query
                  description: How many codes; default the rest of the batch from `from`.
                  schema:
                    type: integer
                    format: int64
                    minimum: 1
                    maximum: 50000000
              responses:
                '200':
                  description: The codes, streamed.
                  headers:
                    Content-Disposition:
                      $ref: '#/components/headers/ContentDisposition'
                  content:
                    text/csv:
                      schema:
                        type: string
                      example: |
                        sequence,serial,code,grouped,url
                    text/plain:
                      schema:
                        type: string
                '400':
                  $ref: '#/components/responses/BadRequest'
                  description: '`invalid_format`, `invalid_from` or `invalid_count`.'
                '401':
                  $ref: '#/components/responses/Unauthorized'
                '403':
                  $ref: '#/components/responses/Forbidden'
                '404':
                  $ref: '#/components/responses/BatchNotFound'
                '409':
                  $ref: '#/components/responses/KeyRetired'
                '422':
                  $ref: '#/components/responses/InvalidRange'
          /api/v1/batches/{id}/codes/{seq}.png:
            parameters:
              - $ref: '#/components/parameters/BatchID'
              - $ref: '#/components/parameters/Sequence'
            get:
              tags: [exports]
              operationId: getCodePNG
              summary: One code as a QR image (PNG)
              x-tally-scope: mint
              parameters:
                - $ref: '#/components/parameters/ModuleSize'
              responses:
                '200':
                  description: A 1-bit PNG of the code's QR symbol.
                  content:
                    image/png:
                      schema:
                        type: string
                        contentMediaType: image/png
                '400':
                  $ref: '#/components/responses/BadRequest'
                  description: '`invalid_module_size`.'
                '401':
                  $ref: '#/components/responses/Unauthorized'
                '403':
                  $ref: '#/components/responses/Forbidden'
                '404':
                  $ref: '#/components/responses/CodeNotFound'
                '409':
                  $ref: '#/components/responses/KeyRetired'
          /api/v1/batches/{id}/codes/{seq}.svg:
            parameters:
              - $ref: '#/components/parameters/BatchID'
              - $ref: '#/components/parameters/Sequence'
            get:
              tags: [exports]
              operationId: getCodeSVG
              summary: One code as a QR image (SVG)
              x-tally-scope: mint
              parameters:
                - $ref: '#/components/parameters/ModuleSize'
              responses:
                '200':
                  description: An SVG of the code's QR symbol.
                  content:
                    image/svg+xml:
                      schema:
                        type: string
                '400':
                  $ref: '#/components/responses/BadRequest'
                  description: '`invalid_module_size`.'
                '401':
                  $ref: '#/components/responses/Unauthorized'
                '403':
                  $ref: '#/components/responses/Forbidden'
                '404':
                  $ref: '#/components/responses/CodeNotFound'
                '409':
                  $ref: '#/components/responses/KeyRetired'
          /api/v1/batches/{id}/images.zip:
            parameters:
              - $ref: '#/components/parameters/BatchID'
            get:
              tags: [exports]
              operationId: getImagesZip
              summary: QR images of a batch's codes as a ZIP
              description: |
                Streams a ZIP of at most 10,000 QR images, the codes `from ..< from + count`
                (default: from `from`, the rest of the batch or 10,000 codes, whichever is
                fewer). Fetch a larger batch in sub-ranges. Entries are named
                `<sequence, 8 digits>_<grouped code>.<png|svg>`.
              x-tally-scope: mint
              parameters:
                - name: format
                  in: query
                  schema:
                    type: string
                    enum: [png, svg]
                    default: png
                - $ref: '#/components/parameters/From'
                - name: count
                  in: query
                  description: How many images, at most 10,000.
                  schema:
                    type: integer
                    format: int64
                    minimum: 1
                    maximum: 10000
                - $ref: '#/components/parameters/ModuleSize'
              responses:
                '200':
                  description: The ZIP, streamed.
                  headers:
                    Content-Disposition:
                      $ref: '#/components/headers/ContentDisposition'
                  content:
                    application/zip:
                      schema:
                        type: string
                        contentMediaType: application/zip
                '400':
                  $ref: '#/components/responses/BadRequest'
                  description: '`too_many_images` (count above 10,000), `invalid_format`, `invalid_from`, `invalid_count` or `invalid_module_size`.'
                '401':
                  $ref: '#/components/responses/Unauthorized'
                '403':
                  $ref: '#/components/responses/Forbidden'
                '404':
                  $ref: '#/components/responses/BatchNotFound'
                '409':
                  $ref: '#/components/responses/KeyRetired'
                '422':
                  $ref: '#/components/responses/InvalidRange'
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
                - name: Idempotency-Key
                  in: header
                  required: true
                  description: A unique value per claim, e.g. a UUID; 1 to 200 bytes.
                  schema:
                    type: string
                    minLength: 1
                    maxLength: 200
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
                      description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key.'
                      schema:
                        type: string
                        enum: ['true']
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
          /healthz:
            get:
              tags: [ops]
              operationId: healthz
              summary: Liveness
              security: []
              responses:
                '200':
                  description: The process is up (an empty body).
          /readyz:
            get:
              tags: [ops]
              operationId: readyz
              summary: Readiness
              description: Whether the server reaches its database, within about two seconds.
              security: []
              responses:
                '200':
                  description: Ready for traffic.
                  content:
                    text/plain:
                      schema:
                        type: string
                        const: "ready\n"
                '503':
                  description: The database cannot be reached.
                  content:
                    text/plain:
                      schema:
                        type: string
          /metrics:
            get:
              tags: [ops]
              operationId: metrics
              summary: Prometheus metrics
              security: []
              responses:
                '200':
                  description: Metrics in the Prometheus text format 0.0.4.
                  content:
                    text/plain:
                      schema:
                        type: string
          /openapi.yaml:
            get:
              tags: [ops]
              operationId: openAPIDocument
              summary: This document
              security: []
              responses:
                '200':
                  description: The OpenAPI 3.1 contract of this server.
                  content:
                    application/yaml:
                      schema:
                        type: string
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
            ContentDisposition:
              description: '`attachment; filename="batch-<id>-<first>-<last>.<ext>"`.'
              schema:
                type: string
          responses:
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
            Error:
              type: object
              required: [error]
              properties:
                error:
                  type: object
                  required: [code, message]
                  properties:
                    code:
                      type: string
                      description: Stable and machine-readable, e.g. `product_not_found`.
                      examples: [unauthorized, forbidden, product_not_found, invalid_quantity]
                    message:
                      type: string
                      description: For people; may change.
            Product:
              type: object
              required: [sku, name, description, default_points, created_at, updated_at]
              properties:
                sku:
                  type: string
                  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'
                name:
                  type: string
                  minLength: 1
                  maxLength: 200
                gtin:
                  type: string
                  description: The GTIN in its 14-digit form.
                  pattern: '^[0-9]{14}$'
                image_url:
                  type: string
                  format: uri
                description:
                  type: string
                  maxLength: 4000
                default_points:
                  type: integer
                  minimum: 0
                  maximum: 1000000
                created_at:
                  type: string
                  format: date-time
                updated_at:
                  type: string
                  format: date-time
            ProductCreate:
              type: object
              required: [sku, name, default_points]
              properties:
                sku:
                  type: string
                  description: 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit.
                  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'
                name:
                  type: string
                  minLength: 1
                  maxLength: 200
                default_points:
                  type: integer
                  description: Points per code of new batches, unless a batch says otherwise.
                  minimum: 0
                  maximum: 1000000
                gtin:
                  type: string
                  description: GTIN-8, -12, -13 or -14 with a correct check digit; stored in its 14-digit form.
                  pattern: '^([0-9]{8}|[0-9]{12}|[0-9]{13}|[0-9]{14})$'
                image_url:
                  type: string
                  format: uri
                  description: An http or https URL, at most 2000 characters.
                  pattern: '^https?://'
                  maxLength: 2000
                description:
                  type: string
                  maxLength: 4000
                  default: ''
            ProductUpdate:
              type: object
              description: The fields to change; fields left out keep their value.
              properties:
                sku:
                  type: string
                  description: May be given only with the product's own SKU; the SKU cannot change.
                name:
                  $ref: '#/components/schemas/ProductCreate/properties/name'
                default_points:
                  $ref: '#/components/schemas/ProductCreate/properties/default_points'
                gtin:
                  $ref: '#/components/schemas/ProductCreate/properties/gtin'
                image_url:
                  $ref: '#/components/schemas/ProductCreate/properties/image_url'
                description:
                  type: string
                  maxLength: 4000
            ProductPage:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  maxItems: 200
                  items:
                    $ref: '#/components/schemas/Product'
                next_cursor:
                  type: string
                  description: |
                    Pass as `cursor` for the next page. Present whenever this page is full,
                    so the next page may be empty; absent on the last page.
            NewBatch:
              type: object
              required: [sku, quantity]
              properties:
                sku:
                  type: string
                  description: The product's SKU.
                quantity:
                  type: integer
                  format: int64
                  description: How many codes, at most 50,000,000.
                  minimum: 1
                  maximum: 50000000
                points_per_code:
                  type: integer
                  description: Default the product's `default_points`.
                  minimum: 0
                  maximum: 1000000
                lot:
                  $ref: '#/components/schemas/Label'
                production_date:
                  $ref: '#/components/schemas/Date'
                expiry_date:
                  $ref: '#/components/schemas/Date'
                  description: Not before `production_date`.
                region:
                  $ref: '#/components/schemas/Label'
                channel:
                  $ref: '#/components/schemas/Label'
                url_form:
                  $ref: '#/components/schemas/URLForm'
            Batch:
              type: object
              required: [id, sku, kid, first_serial, quantity, points_per_code, url_form, created_at, ranges]
              properties:
                id:
                  type: integer
                  format: int64
                  minimum: 1
                sku:
                  type: string
                kid:
                  type: integer
                  description: The id of the key the batch's codes are signed with.
                  minimum: 0
                  maximum: 31
                first_serial:
                  type: integer
                  format: int64
                  description: The serial of sequence 0; sequence n has serial first_serial + n.
                  minimum: 0
                quantity:
                  type: integer
                  format: int64
                  minimum: 1
                  maximum: 50000000
                points_per_code:
                  type: integer
                  minimum: 0
                  maximum: 1000000
                lot:
                  type: string
                production_date:
                  type: string
                  format: date
                expiry_date:
                  type: string
                  format: date
                region:
                  type: string
                channel:
                  type: string
                url_form:
                  $ref: '#/components/schemas/URLForm'
                gtin:
                  type: string
                  description: The product's GTIN-14, printed in GS1 Digital Link URLs.
                  pattern: '^[0-9]{14}$'
                created_by:
                  type: string
                  description: Who created the batch, e.g. `key:tly_8K2M4Q7T`.
                created_at:
                  type: string
                  format: date-time
                ranges:
                  type: array
                  description: The batch's codes by state, as runs covering the whole batch in sequence order.
                  minItems: 1
                  items:
                    $ref: '#/components/schemas/BatchRange'
            BatchRange:
              type: object
              required: [from, count, state]
              properties:
                from:
                  type: integer
                  format: int64
                  description: The first sequence of the run.
                  minimum: 0
                count:
                  type: integer
                  format: int64
                  minimum: 1
                state:
                  type: string
                  description: '`created` (printed, not yet claimable), `active` (claimable) or `voided` (never claimable again).'
                  enum: [created, active, voided]
            BatchPage:
              type: object
              required: [items]
              properties:
                items:
                  type: array
                  maxItems: 200
                  items:
                    $ref: '#/components/schemas/Batch'
                next_cursor:
                  type: string
                  description: |
                    The last batch id on this page, as a string of digits: pass it as
                    `cursor` for the next page. Present whenever this page is full, so the
                    next page may be empty; absent on the last page.
                  pattern: '^[1-9][0-9]*$'
            StateChange:
              type: object
              description: A sub-range of a batch's codes by sequence; default the whole batch.
              properties:
                from:
                  type: integer
                  format: int64
                  description: The first sequence; default 0.
                  minimum: 0
                count:
                  type: integer
                  format: int64
                  description: How many codes; default the rest of the batch from `from`.
                  minimum: 1
                reason:
                  type: string
                  description: Why; required to void.
                  maxLength: 500
            Label:
              type: string
              minLength: 1
              maxLength: 64
            Date:
              type: string
              format: date
              description: A calendar date, `YYYY-MM-DD`.
              pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
            URLForm:
              type: string
              description: '`short` (`https://<host>/Q/<code>`, the default) or `gs1` (a GS1 Digital Link URL; needs a product GTIN).'
              enum: [short, gs1]
              default: short
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
}
