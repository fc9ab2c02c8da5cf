extension OpenAPISection {
    /// Products, batches and code export: the packaging line.
    static let packaging = OpenAPISection(
        paths: #"""
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
                    - $ref: '#/components/parameters/RequiredIdempotencyKey'
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
                          $ref: '#/components/headers/IdempotentReplayed'
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
            """#,
        schemas: #"""
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
                    points_valid_months:
                      type: integer
                      description: Months this batch's points stay spendable (0 never expire); default the programme's `points_valid_months`.
                      minimum: 0
                      maximum: 120
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
                    points_valid_months:
                      type: integer
                      description: Set when the batch overrides the programme's points expiry.
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
            """#
    )
}
