import Foundation
import PostgresNIO

/// The call of `api_claim`, as a prepared statement: each connection has PostgreSQL parse and
/// plan it once, then sends only the values (parsing and planning it on every claim cost
/// about a twelfth of PostgreSQL's time per claim).
struct APIClaimStatement: PostgresPreparedStatement {
    // A fixed name: the default, String(reflecting:), is computed again on every call.
    static let name = "tally_api_claim"
    static let sql = """
        SELECT outcome, member_id, points, balance, stored_status, stored_body, awards::text FROM api_claim(
            $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::int, $12, $13::inet, $14, $15, $16)
        """
    // The types Swift sends, so that a first call with NULLs prepares the same statement.
    static let bindingDataTypes: [PostgresDataType] = [
        .uuid, .text, .text, .bytea, .bool, .text, .text, .text,
        .int2, .int8, .int8, .text, .text, .text, .float8, .float8,
    ]
    typealias Row = (String, UUID?, Int?, Int64?, Int?, ByteBuffer?, String?)

    var apiKey: UUID
    var actor: String
    var key: String
    var requestHash: ByteBuffer
    var invalidInput: Bool
    var channel: String?
    var externalID: String?
    var phone: String?
    var kid: Int16
    var serial: Int64
    var dailyCap: Int
    var timeZone: String
    var ip: String?
    var userAgent: String?
    var latitude: Double?
    var longitude: Double?

    /// The rows this claim will lock or insert that another claim may want too, for
    /// ClaimBatcher: its member (by channel identity and by phone), its code and its
    /// Idempotency-Key.
    var conflictKeys: [String] {
        var keys = ["code\u{0}\(kid):\(serial)", "key\u{0}\(actor)\u{0}\(key)"]
        if let channel, let externalID { keys.append("identity\u{0}\(channel)\u{0}\(externalID)") }
        if let phone { keys.append("phone\u{0}\(phone)") }
        return keys
    }

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 16)
        bindings.append(apiKey)
        bindings.append(actor)
        bindings.append(key)
        bindings.append(requestHash)
        bindings.append(invalidInput)
        bindings.append(channel)
        bindings.append(externalID)
        bindings.append(phone)
        bindings.append(kid)
        bindings.append(serial)
        bindings.append(dailyCap)
        bindings.append(timeZone)
        bindings.append(ip)
        bindings.append(userAgent)
        bindings.append(latitude)
        bindings.append(longitude)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}
