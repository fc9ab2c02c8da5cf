import Foundation
import Logging
import PostgresNIO
import TallyCodes

/// `POST /api/v1/claims` in one round trip: the API key, the Idempotency-Key, the member (by
/// phone and channel identity) and the claim are one call of `api_claim`
/// (db/functions/api_claim.sql), so one statement and one transaction. Done as separate
/// statements it took ten round trips, and what each costs PostgreSQL was most of a claim's cost.
/// Under load, claims that arrive together share one transaction (ClaimBatcher).
public struct APIClaimStore: Sendable {
    /// A claim whose input the server has checked: a genuine code and, if any, a valid phone.
    public struct Request: Sendable {
        /// Who asks: the key is checked again in the claim's statement, and names the Idempotency-Key's owner.
        public var apiKey: APIKey
        public var key: String
        public var requestHash: [UInt8]
        public var code: Code
        public var identity: Identity
        public var phone: PhoneNumber?
        public var context: ClaimContext

        public init(
            apiKey: APIKey, key: String, requestHash: [UInt8], code: Code, identity: Identity, phone: PhoneNumber?, context: ClaimContext
        ) {
            self.apiKey = apiKey
            self.key = key
            self.requestHash = requestHash
            self.code = code
            self.identity = identity
            self.phone = phone
            self.context = context
        }
    }

    /// The answer to a claim: its 201 body, which the server encodes (sorted snake_case keys).
    public struct Claimed: Sendable, Encodable, Equatable {
        public var outcome = "claimed"
        public let code: String
        public let memberId: UUID
        public let points: Int
        /// After the claim and its awards.
        public let balance: Int64
        /// What live campaigns awarded with the claim.
        public var awards: [ClaimAward] = []

        /// The body as `JSONEncoder` with sorted snake_case keys writes it, byte for byte (a
        /// test checks), without its per-call cost on the busiest answer: a code's text is
        /// base32 and a UUID hex, so nothing needs escaping. Only awards, when there are any,
        /// go through the encoder.
        public var json: String {
            get throws {
                let awardsJSON = awards.isEmpty ? "[]" : String(decoding: try Self.awardsEncoder.encode(awards), as: UTF8.self)
                return
                    #"{"awards":\#(awardsJSON),"balance":\#(balance),"code":"\#(code)","member_id":"\#(memberId.uuidString)","outcome":"\#(outcome)","points":\#(points)}"#
            }
        }

        private static var awardsEncoder: JSONEncoder {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            return encoder
        }
    }

    /// What the server sends for a claim.
    public enum Answer: Sendable, Equatable {
        /// The claim, made now or by an earlier request with this Idempotency-Key.
        case claimed(Claimed)
        /// An answer stored as a status and body (before migration 0010), sent as it is.
        case recorded(RecordedResponse)
    }

    let batcher: ClaimBatcher
    /// Claims one member may make per day (0: no cap).
    let dailyCap: Int
    /// The time zone that "today" (daily caps, batch expiry) is counted in.
    let timeZone: String

    /// `concurrency`: how many calls to PostgreSQL claims may have running at once; claims that
    /// come while all are busy go together in the next (see ClaimBatcher). `queueLimit`: how
    /// many may wait for them; more are refused at once (`overloaded`, HTTP 503). `deadline`: the
    /// longest one call to PostgreSQL may take before its claims are answered 503.
    public init(
        database: PostgresClient, logger: Logger, concurrency: Int, queueLimit: Int = 2000, deadline: Duration = .seconds(5),
        dailyCap: Int = 0, timeZone: String = "Asia/Shanghai"
    ) {
        self.batcher = ClaimBatcher(
            database: database, logger: logger, runners: concurrency, queueLimit: queueLimit, batchDeadline: deadline)
        self.dailyCap = dailyCap
        self.timeZone = timeZone
    }

    /// Claims the code once per Idempotency-Key: the claim (its result stored with the key), or
    /// the stored answer of an earlier request with this key (`replayed`), whose request was the
    /// same, code included. Refusals are `StoreError`s (`APIKeyRejected` for a key revoked or
    /// expired by now) and leave nothing behind, not even the key.
    public func claim(_ request: Request) async throws -> (answer: Answer, replayed: Bool) {
        try IdempotencyStore.check(key: request.key)
        // An invalid identity is refused by api_claim after the API key and the Idempotency-Key
        // (a key used before for another request is reported first, as for every keyed write);
        // its text never goes to the database, which could not even take a NUL.
        var invalidIdentity: (any Error)?
        do { try request.identity.validate() } catch { invalidIdentity = error }
        let identity = invalidIdentity == nil ? request.identity : nil
        let code = request.code
        let context = request.context
        let statement = APIClaimStatement(
            apiKey: request.apiKey.id, actor: request.apiKey.actor, key: request.key, requestHash: ByteBuffer(bytes: request.requestHash),
            invalidInput: invalidIdentity != nil, channel: identity?.channel, externalID: identity?.externalId, phone: request.phone?.e164,
            kid: Int16(code.kid), serial: Int64(code.serial), dailyCap: dailyCap, timeZone: timeZone,
            ip: context.ip, userAgent: context.userAgent, latitude: context.latitude, longitude: context.longitude
        )
        switch await batcher.claim(statement) {
        case .answered(.claimed(let member, let points, let balance, let awards, let replayed)):
            let claimed = Claimed(
                code: code.text, memberId: member, points: points, balance: balance, awards: try ClaimAward.list(fromJSON: awards))
            return (.claimed(claimed), replayed)
        case .answered(.recorded(let status, let body)):
            return (.recorded(RecordedResponse(status: status, body: Array(buffer: body))), true)
        case .refused(let name, let detail):
            if let invalidIdentity, name == "invalid_input" { throw invalidIdentity }
            throw Self.refusal(name, detail: detail, of: request) ?? UnexpectedRefusal(name: name, detail: detail)
        case .overloaded:
            throw StoreError(
                .overloaded, .overloaded,
                "too many claims are waiting for the database; try again in a second with the same Idempotency-Key")
        case .failed(let error):
            throw error
        }
    }

    /// A refusal from `api_claim` that the server has no answer for (a bug: a 500).
    struct UnexpectedRefusal: Error, CustomStringConvertible {
        let name: String
        let detail: String?
        var description: String { "api_claim refused the claim: \(name) \(detail ?? "")" }
    }

    /// The error for a refusal that `api_claim` raised (SQLSTATE TL001, its name and detail);
    /// nil for a name it does not know.
    static func refusal(_ name: String, detail: String?, of request: Request) -> (any Error)? {
        let identity = request.identity
        switch name {
        case "unauthorized":
            return APIKeyRejected()
        case "idempotency_key_reused":
            return IdempotencyStore.keyReused
        case "identity_conflict":
            return StoreError(
                .conflict, .identityConflict,
                "\(identity.channel) \(identity.externalId) belongs to another member than this phone; merge them first")
        case "identity_taken":
            struct Detail: Decodable { let identity: String }
            let which = detail.flatMap { try? JSONDecoder().decode(Detail.self, from: Data($0.utf8)) }?.identity
            guard let other = which == "phone" ? request.phone.map(Identity.phone) : identity else { return nil }
            return StoreError(
                .conflict, .identityConflict, "\(other.channel) \(other.externalId) was just linked to another member; try again")
        case "member_not_created":
            return StoreError(.conflict, .memberNotCreated, "the member could not be created; try again")
        case "claim_failed":
            return StoreError(.conflict, .claimFailed, "the claim returned no outcome")
        case "already_claimed":
            struct Detail: Decodable {
                let claimedBy: UUID
                let claimedAt: Double
                let member: UUID
            }
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            guard let detail = detail.flatMap({ try? decoder.decode(Detail.self, from: Data($0.utf8)) }) else { return nil }
            return ClaimOutcome.alreadyClaimed(member: detail.claimedBy, at: Date(timeIntervalSince1970: detail.claimedAt))
                .refusal(member: detail.member)
        default:
            // claim_code's other refusals need no more than their name.
            return ClaimOutcome(refusalName: name)?.refusal()
        }
    }
}
