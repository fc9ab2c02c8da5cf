import Foundation
import Logging
import PostgresNIO

/// Creates batches (allocating serial ranges), changes their state and reads them.
public struct BatchStore: Sendable {
    public static let maxPageSize = 200

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Creates a batch under `kid` inside the caller's transaction `tx`.
    ///
    /// The serial range comes from one `UPDATE … RETURNING` on the kid's counter row, which
    /// serialises concurrent creations; the exclusion constraint on `batches` would refuse an
    /// overlap even if that were ever wrong.
    public func create(_ new: NewBatch, kid: UInt8, actor: String, in tx: PostgresConnection) async throws -> Batch {
        try Self.validate(new)
        let product = try await tx.query("SELECT id, default_points, gtin FROM products WHERE sku = \(new.sku)", logger: logger)
        var found: (Int64, Int, String?)?
        for try await row in product.decode((Int64, Int, String?).self) { found = row }
        guard let (productID, defaultPoints, gtin) = found else {
            throw StoreError(.notFound, .productNotFound, "no product with sku \(new.sku)")
        }
        guard (new.pointsPerCode ?? defaultPoints) >= 1 else {
            throw StoreError(.invalid, .invalidPoints, "product \(new.sku) earns 0 points by default: give points_per_code")
        }
        let urlForm = new.urlForm ?? "short"
        if urlForm == "gs1" && gtin == nil {
            throw StoreError(.invalid, .productHasNoGTIN, "url_form gs1 needs a product with a gtin")
        }
        let firstSerial: Int64
        do {
            let allocated = try await tx.query(
                """
                INSERT INTO serial_counters AS c (kid, next_serial) VALUES (\(Int(kid)), \(new.quantity))
                ON CONFLICT (kid) DO UPDATE SET next_serial = c.next_serial + EXCLUDED.next_serial
                RETURNING next_serial - \(new.quantity)
                """, logger: logger)
            var first: Int64?
            for try await value in allocated.decode(Int64.self) { first = value }
            firstSerial = first!
        } catch let error where DatabaseError(error)?.sqlState == DatabaseError.checkViolation {
            throw StoreError(.conflict, .serialSpaceExhausted, "key id \(kid) has no room for \(new.quantity) more serials; rotate the key")
        }
        var batchID: Int64 = 0
        do {
            let rows = try await tx.query(
                """
                INSERT INTO batches (product_id, kid, first_serial, quantity, points_per_code, lot,
                                     production_date, expiry_date, region, channel, url_form, created_by, points_valid_months)
                VALUES (\(productID), \(Int(kid)), \(firstSerial), \(new.quantity), \(new.pointsPerCode ?? defaultPoints),
                        \(new.lot), \(new.productionDate)::date, \(new.expiryDate)::date, \(new.region), \(new.channel),
                        \(urlForm), \(actor), \(new.pointsValidMonths))
                RETURNING id
                """, logger: logger)
            // Errors can arrive with the rows, so read them inside the do.
            for try await id in rows.decode(Int64.self) { batchID = id }
        } catch let error where DatabaseError(error)?.sqlState?.hasPrefix("22") == true {
            throw StoreError(.invalid, .invalidDate, "dates are YYYY-MM-DD calendar dates")
        } catch let error where DatabaseError(error)?.sqlState == DatabaseError.checkViolation {
            throw StoreError(.invalid, .invalidDates, "expiry_date cannot be before production_date")
        }
        return try await get(id: batchID, on: tx)
    }

    /// Creates a batch in a transaction of its own.
    public func create(_ new: NewBatch, kid: UInt8, actor: String) async throws -> Batch {
        try await database.transaction(logger: logger) { tx in try await create(new, kid: kid, actor: actor, in: tx) }
    }

    public func get(id: Int64) async throws -> Batch {
        try await database.withConnection { try await get(id: id, on: $0) }
    }

    /// Batches newest first, before the cursor `before` (the last id of the previous page).
    public func list(before: Int64?, limit: Int, sku: String? = nil) async throws -> [Batch] {
        try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT b.id FROM batches b JOIN products p ON p.id = b.product_id
                WHERE (\(before)::bigint IS NULL OR b.id < \(before)) AND (\(sku)::text IS NULL OR p.sku = \(sku))
                ORDER BY b.id DESC LIMIT \(min(max(limit, 1), Self.maxPageSize))
                """, logger: logger)
            var ids: [Int64] = []
            for try await id in rows.decode(Int64.self) { ids.append(id) }
            var batches: [Batch] = []
            for id in ids { batches.append(try await get(id: id, on: connection)) }
            return batches
        }
    }

    /// Sets codes `from ..< from + count` (default: the whole batch) to `state`.
    ///
    /// Activation is refused where any of the codes is voided: voiding is final.
    public func changeState(
        batchID: Int64, to state: CodeState, from: Int64?, count: Int64?, reason: String?, actor: String
    ) async throws -> Batch {
        guard state != .created else { throw StoreError(.invalid, .invalidState, "codes can be activated or voided") }
        if let reason { try TextRules.check(reason, field: "reason", invalid: .invalidReason, lengths: 0...500, multiline: true) }
        if state == .voided && (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw StoreError(.invalid, .missingReason, "voiding needs a reason (e.g. \"roll stolen from line 3\")")
        }
        return try await database.transaction(logger: logger) { tx in
            // Lock the batch: state changes to one batch happen one at a time.
            let locked = try await tx.query(
                "SELECT kid, first_serial, quantity FROM batches WHERE id = \(batchID) FOR UPDATE", logger: logger)
            var found: (Int, Int64, Int64)?
            for try await row in locked.decode((Int, Int64, Int64).self) { found = row }
            guard let (kid, firstSerial, quantity) = found else {
                throw StoreError(.notFound, .batchNotFound, "no batch \(batchID)")
            }
            let (start, length) = try Self.subrange(from: from, count: count, quantity: quantity)
            let lower = firstSerial + start
            let upper = firstSerial + start + length
            if state == .active {
                let voided = try await tx.query(
                    """
                    SELECT 1 FROM batch_state_changes
                    WHERE batch_id = \(batchID) AND state = 'voided' AND serials && int8range(\(lower), \(upper)) LIMIT 1
                    """, logger: logger)
                for try await _ in voided {
                    throw StoreError(.conflict, .codesVoided, "part of this range is voided; voided codes cannot be activated")
                }
            }
            try await tx.query(
                """
                INSERT INTO batch_state_changes (batch_id, kid, serials, state, reason, actor)
                VALUES (\(batchID), \(kid), int8range(\(lower), \(upper)), \(state.rawValue), \(reason), \(actor))
                """, logger: logger)
            return try await get(id: batchID, on: tx)
        }
    }

    /// The batch's state changes, oldest first: who activated or voided which codes, when and why.
    public func stateChanges(batchID: Int64) async throws -> [BatchStateChange] {
        try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT c.id, lower(c.serials) - b.first_serial, upper(c.serials) - lower(c.serials), c.state, c.reason, c.actor,
                       c.created_at
                FROM batch_state_changes c JOIN batches b ON b.id = c.batch_id
                WHERE c.batch_id = \(batchID) ORDER BY c.id
                """, logger: logger)
            var changes: [BatchStateChange] = []
            for try await (id, from, count, state, reason, actor, at) in rows.decode(
                (Int64, Int64, Int64, String, String?, String?, Date).self)
            {
                changes.append(
                    BatchStateChange(
                        id: id, from: from, count: count, state: CodeState(rawValue: state) ?? .created, reason: reason, actor: actor,
                        at: at))
            }
            return changes
        }
    }

    /// Validates an optional sub-range of a batch; returns (from, count), the whole batch by default.
    public static func subrange(from: Int64?, count: Int64?, quantity: Int64) throws -> (Int64, Int64) {
        let start = from ?? 0
        let length = count ?? (quantity - start)
        guard start >= 0, start < quantity else {
            throw StoreError(.invalid, .invalidRange, "from must be between 0 and \(quantity - 1)")
        }
        guard length >= 1, length <= quantity - start else {
            throw StoreError(.invalid, .invalidRange, "count must be between 1 and \(quantity - start) from sequence \(start)")
        }
        return (start, length)
    }

    func get(id: Int64, on connection: PostgresConnection) async throws -> Batch {
        let rows = try await connection.query(
            """
            SELECT b.id, p.sku, b.kid, b.first_serial, b.quantity, b.points_per_code, b.lot,
                   to_char(b.production_date, 'YYYY-MM-DD'), to_char(b.expiry_date, 'YYYY-MM-DD'),
                   b.region, b.channel, b.url_form, p.gtin, b.created_by, b.created_at, b.points_valid_months
            FROM batches b JOIN products p ON p.id = b.product_id WHERE b.id = \(id)
            """, logger: logger)
        var batch: Batch?
        for try await row in rows {
            let (id, sku, kid, first, quantity, points, lot, produced, expires, region, channel, form, gtin, by, at, valid) =
                try row.decode(
                    (
                        Int64, String, Int, Int64, Int64, Int, String?, String?, String?, String?, String?, String, String?, String?, Date,
                        Int?
                    ).self)
            batch = Batch(
                id: id, sku: sku, kid: kid, firstSerial: first, quantity: quantity, pointsPerCode: points,
                pointsValidMonths: valid, lot: lot,
                productionDate: produced, expiryDate: expires, region: region, channel: channel, urlForm: form,
                gtin: gtin, createdBy: by, createdAt: at, ranges: []
            )
        }
        guard var batch else { throw StoreError(.notFound, .batchNotFound, "no batch \(id)") }
        let changes = try await connection.query(
            """
            SELECT lower(serials), upper(serials), state FROM batch_state_changes WHERE batch_id = \(id) ORDER BY id
            """, logger: logger)
        var applied: [(from: Int64, to: Int64, state: CodeState)] = []
        for try await (lower, upper, state) in changes.decode((Int64, Int64, String).self) {
            applied.append((lower - batch.firstSerial, upper - batch.firstSerial, CodeState(rawValue: state) ?? .created))
        }
        batch.ranges = Batch.ranges(quantity: batch.quantity, changes: applied)
        return batch
    }

    static func validate(_ new: NewBatch) throws {
        try SKU.check(new.sku)
        guard (1...NewBatch.maxQuantity).contains(new.quantity) else {
            throw StoreError(.invalid, .invalidQuantity, "quantity is between 1 and \(NewBatch.maxQuantity)")
        }
        if let months = new.pointsValidMonths, !(0...120).contains(months) {
            throw StoreError(.invalid, .invalidPointsValidMonths, "points_valid_months is 0 (never expire) to 120")
        }
        if let points = new.pointsPerCode, !(1...1_000_000).contains(points) {
            throw StoreError(.invalid, .invalidPoints, "points_per_code is between 1 and 1000000")
        }
        let texts: [(String, ErrorCode, String?)] = [
            ("lot", .invalidLot, new.lot), ("region", .invalidRegion, new.region), ("channel", .invalidChannel, new.channel),
        ]
        for (field, invalid, value) in texts {
            if let value { try TextRules.check(value, field: field, invalid: invalid, lengths: 1...64) }
        }
        let dates: [(String, ErrorCode, String?)] = [
            ("production_date", .invalidProductionDate, new.productionDate), ("expiry_date", .invalidExpiryDate, new.expiryDate),
        ]
        for (field, invalid, value) in dates {
            if let value, value.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}/) == nil {
                throw StoreError(.invalid, invalid, "\(field) is a date written YYYY-MM-DD")
            }
        }
        if let form = new.urlForm, form != "short" && form != "gs1" {
            throw StoreError(.invalid, .invalidURLForm, "url_form is short or gs1")
        }
    }
}
