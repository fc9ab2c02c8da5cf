import Foundation
import Logging
import PostgresNIO

/// The statement that reads a member's profile, by id or by identity, in one round trip,
/// prepared once per connection (PL/pgSQL keeps the plans of the function's statements).
///
/// It checks the API key again (`$1`): a key revoked or expired at that instant gets
/// `APIKeyRejected`, whatever the server's cache of keys believes (see `APIKeyCache`). Without a
/// key (NULL: the console, whose staff session its gate checked) there is nothing to check. It reads
/// the member's row and its rollups (db/migrations/0011_member_rollups.sql), never the claims,
/// scans or lots of its history: a bounded number of rows, however long that history is.
struct MemberProfileStatement: PostgresPreparedStatement {
    // A fixed name: the default, String(reflecting:), is computed again on every call.
    static let name = "tally_member_profile"
    /// The member with id `$2`, or else the one holding the identity (`$3`, `$4`); then its
    /// profile, unless it was merged away (`merged_into` is then all it needs). One function
    /// (db/functions/member_profile.sql), whose statements each go to one member's rows on Citus.
    ///
    /// The claim counts come as arrays of keys and counts. (Decoding the JSON objects cost the
    /// server a twentieth of its time per profile.)
    static let sql = "SELECT * FROM member_profile($1, $2, $3, $4)"
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .uuid, .text, .text]
    typealias Row = Lookup<MemberProfile>

    var key: UUID?
    var member: UUID?
    var identity: Identity?

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(key)
        bindings.append(member)
        bindings.append(identity?.channel)
        bindings.append(identity?.externalId)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try Self.decode(row) }

    /// What the statement found: nil for no member.
    func read(from database: PostgresClient, logger: Logger) async throws -> Lookup<MemberProfile>? {
        for try await found in try await database.execute(self, logger: logger) { return found }
        return nil
    }

    static func decode(_ row: PostgresRow) throws -> Lookup<MemberProfile> {
        let cells = row.makeRandomAccess()
        guard try cells[0].decode(Bool.self) else { throw APIKeyRejected() }
        if let survivor = try cells[1].decode(UUID?.self) { return .merged(into: survivor) }
        /// Column `at` and the next, arrays of one element a row (NULL for no rows), element by element.
        func pairs<A: PostgresArrayDecodable, B: PostgresArrayDecodable>(_ at: Int, _: A.Type, _: B.Type) throws -> [(A, B)]
        where A._DecodableType == A, B._DecodableType == B {
            Array(zip(try cells[at].decode([A]?.self) ?? [], try cells[at + 1].decode([B]?.self) ?? []))
        }
        let byChannel = Dictionary(uniqueKeysWithValues: try pairs(15, String.self, Int64.self))
        let products = zip(try pairs(19, String.self, String.self), try cells[21].decode([Int64]?.self) ?? [])
        let identities = zip(try pairs(22, String.self, String.self), try cells[24].decode([Date]?.self) ?? [])
        return .member(
            MemberProfile(
                id: try cells[2].decode(UUID.self), balance: try cells[3].decode(Int64.self),
                lifetimeEarned: try cells[4].decode(Int64.self), lifetimeRedeemed: try cells[5].decode(Int64.self),
                lifetimeExpired: try cells[6].decode(Int64.self), tier: try cells[7].decode(String?.self),
                createdAt: try cells[8].decode(Date.self),
                identities: identities.map { .init(channel: $0.0, externalId: $0.1, linkedAt: $1) },
                mergedFrom: try cells[14].decode([UUID].self),
                expiring: .init(
                    next30Days: try cells[9].decode(Int64.self), next60Days: try cells[10].decode(Int64.self),
                    next90Days: try cells[11].decode(Int64.self)),
                firstScanAt: try cells[12].decode(Date?.self), lastScanAt: try cells[13].decode(Date?.self),
                claims: byChannel.values.reduce(0, +), claimsByChannel: byChannel,
                claimsByRegion: Dictionary(uniqueKeysWithValues: try pairs(17, String.self, Int64.self)),
                // Most claimed first, then by SKU.
                claimsByProduct: products.map { .init(sku: $0.0, name: $0.1, claims: $1) }.sorted {
                    ($0.claims, $1.sku) > ($1.claims, $0.sku)
                }
            ))
    }
}
