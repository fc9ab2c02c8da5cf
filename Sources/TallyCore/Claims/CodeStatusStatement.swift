import Foundation
import PostgresNIO

/// What the landing page shows about a genuine code: its batch, product, state and claim, as
/// a prepared statement. Every scan asks it; planning its joins on every call cost PostgreSQL
/// about four times what running it does.
struct CodeStatusStatement: PostgresPreparedStatement {
    // A fixed name: the default, String(reflecting:), is computed again on every call.
    static let name = "tally_code_status"
    static let sql = """
        SELECT b.id, p.name, p.image_url, b.lot, to_char(b.production_date, 'YYYY-MM-DD'), b.points_per_code,
               coalesce((SELECT c.state FROM batch_state_changes c
                         WHERE c.kid = b.kid AND c.serials @> $2::int8 ORDER BY c.id DESC LIMIT 1), 'created'),
               b.expiry_date IS NOT NULL AND b.expiry_date < (now() AT TIME ZONE $4)::date,
               coalesce(m.merged_into, cl.member_id), cl.claimed_at,
               coalesce(coalesce(m.merged_into, cl.member_id) IN (SELECT coalesce(v.merged_into, v.id) FROM members v WHERE v.id = $3), false)
        FROM batches b JOIN products p ON p.id = b.product_id
        LEFT JOIN claims cl ON cl.kid = $1 AND cl.serial = $2
        LEFT JOIN members m ON m.id = cl.member_id
        WHERE b.kid = $1 AND b.serials @> $2::int8
        """
    // The types Swift sends, so that a first call without a viewer prepares the same statement.
    static let bindingDataTypes: [PostgresDataType] = [.int2, .int8, .uuid, .text]
    typealias Row = (Int64, String, String?, String?, String?, Int, String, Bool, UUID?, Date?, Bool)

    var kid: Int16
    var serial: Int64
    var viewer: UUID?
    var timeZone: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(kid)
        bindings.append(serial)
        bindings.append(viewer)
        bindings.append(timeZone)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}
