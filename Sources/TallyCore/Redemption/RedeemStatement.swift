import Foundation
import PostgresNIO

/// A redemption (`redeem_reward`) with what its answer needs besides: the reward's name and
/// until when it may be cancelled. A prepared statement: PostgreSQL plans it once a connection.
/// The function runs once (a materialized CTE); the rest is read-only.
struct RedeemStatement: PostgresPreparedStatement {
    // A fixed name: the default, String(reflecting:), is computed again on every call.
    static let name = "tally_redeem_reward"
    static let sql = """
        WITH r AS MATERIALIZED (
            SELECT * FROM redeem_reward($1, (SELECT id FROM rewards WHERE sku = $2), $3, $4, $5, $6))
        SELECT r.outcome, r.member_id, r.redemption_id, r.points, r.balance, w.name, now(),
               now() + make_interval(hours => s.redemption_cancel_hours)
        FROM r CROSS JOIN programme_settings s LEFT JOIN rewards w ON w.sku = $2
        """
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .text, .int4, .text, .text, .text]
    typealias Row = (String, UUID, UUID?, Int64?, Int64, String?, Date, Date)

    var member: UUID
    var sku: String
    var quantity: Int32
    var channel: String
    var actor: String
    var voucher: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 6)
        bindings.append(member)
        bindings.append(sku)
        bindings.append(quantity)
        bindings.append(channel)
        bindings.append(actor)
        bindings.append(voucher)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}
