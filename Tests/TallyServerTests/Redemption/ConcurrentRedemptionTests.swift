import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCore
import TallyServer
import TallyTestSupport
import Testing

/// Redemptions that meet in the database: each request on a connection of its own.
@Suite("Concurrent redemptions keep points and stock consistent")
struct ConcurrentRedemptionTests {
    /// `error.code` of a JSON error body, recording no expectation (for use inside tasks).
    static func code(_ body: Data) -> String? {
        struct Body: Decodable {
            struct Detail: Decodable { let code: String }
            let error: Detail
        }
        return try? JSONDecoder().decode(Body.self, from: body).error.code
    }

    @Test("20 members redeeming the last unit at once: exactly one gets it, the others are told it is out of stock")
    func lastUnit() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(#"{"sku": "LAST", "name": "The last one", "cost_points": 10, "stock": 1}"#)
            var members: [UUID] = []
            for i in 0..<20 {
                let member = try await app.newMember(phone: "1380000\(String(format: "%04d", i))")
                try await app.credit(member, 50)
                members.append(member)
            }
            let answers = try await withThrowingTaskGroup(of: (UUID, HTTPResponse.Status, Data).self) { group in
                for member in members {
                    group.addTask {
                        let (status, body) = try await app.redeemOnOwnConnection(member, #"{"reward": "LAST", "quantity": 1}"#)
                        return (member, status, body)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let winners = answers.filter { $0.1 == .created }
            #expect(winners.count == 1)
            #expect(answers.filter { $0.1 == .unprocessableContent && Self.code($0.2) == "out_of_stock" }.count == 19)
            #expect(try await app.stock("LAST") == (1, 0))
            #expect(try await app.count("redemptions") == 1)
            for member in members {
                #expect(try await app.balance(member) == (member == winners.first?.0 ? 40 : 50))
            }
            try await app.expectInvariants()
        }
    }

    @Test("stock spread over slices: 30 members at once take exactly the 20 units; 3 at once come from several slices")
    func stockSlices() async throws {
        try await TestApp.run { app in
            // 20 units: 2 in each of the first 4 slices and 1 in each of the other 12.
            _ = try await app.createReward(#"{"sku": "BOWL", "name": "Bowl", "cost_points": 1, "stock": 20}"#)
            var members: [UUID] = []
            for i in 0..<30 {
                let member = try await app.newMember(phone: "1390000\(String(format: "%04d", i))")
                try await app.credit(member, 10)
                members.append(member)
            }
            let answers = try await withThrowingTaskGroup(of: (HTTPResponse.Status, Data).self) { group in
                for member in members {
                    group.addTask { try await app.redeemOnOwnConnection(member, #"{"reward": "BOWL", "quantity": 1}"#) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.filter { $0.0 == .created }.count == 20)
            #expect(answers.filter { Self.code($0.1) == "out_of_stock" }.count == 10)
            #expect(try await app.stock("BOWL") == (20, 0))
            try await app.expectInvariants()

            // 16 units, one a slice: 3 at once need three slices.
            _ = try await app.createReward(#"{"sku": "CUP", "name": "Cup", "cost_points": 1, "stock": 16}"#)
            let (status, _) = try await app.redeemOnOwnConnection(members[0], #"{"reward": "CUP", "quantity": 3}"#)
            #expect(status == .created)
            #expect(try await app.stock("CUP") == (16, 13))
            let (tooMany, body) = try await app.redeemOnOwnConnection(members[1], #"{"reward": "CUP", "quantity": 14}"#)
            #expect(tooMany == .unprocessableContent && Self.code(body) == "out_of_stock")
            #expect(try await app.stock("CUP") == (16, 13))
            try await app.expectInvariants()
        }
    }

    @Test("one member's 10 concurrent redemptions that together exceed the balance: the balance never goes negative and adds up")
    func overdraw() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(#"{"sku": "MUG", "name": "Mug", "cost_points": 30}"#)
            let member = try await app.newMember(phone: "13800138000")
            try await app.credit(member, 60, expiresInDays: 5)
            try await app.credit(member, 40)
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, Data).self) { group in
                for _ in 0..<10 {
                    group.addTask { try await app.redeemOnOwnConnection(member, #"{"reward": "MUG", "quantity": 1}"#) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == .created }.count == 3)
            #expect(statuses.filter { Self.code($0.1) == "insufficient_points" }.count == 7)
            #expect(try await app.balance(member) == 10)
            #expect(try await app.lots(member) == [0, 10])
            // Each answer's balance is one step of the chain 70, 40, 10.
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            decoder.dateDecodingStrategy = .iso8601
            let balances = try statuses.filter { $0.0 == .created }.map { try decoder.decode(Redemption.self, from: $0.1).balance ?? -1 }
            #expect(balances.sorted() == [10, 40, 70])
            try await app.expectInvariants()
        }
    }

    @Test("concurrent cancellations of one redemption return its points once")
    func cancelTwiceAtOnce() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(#"{"sku": "MUG", "name": "Mug", "cost_points": 30, "stock": 2}"#)
            let member = try await app.newMember(phone: "13800138000")
            try await app.credit(member, 30)
            let redemption = try decode(Redemption.self, try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#))
            let port = app.client.port!
            let secret = app.secrets[.redeem]!
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let request = TestClient.Request(
                            "/api/v1/redemptions/\(redemption.id)/cancel", method: .post, authority: "localhost",
                            headers: [.authorization: "Bearer \(secret)", .contentType: "application/json", .connection: "close"],
                            body: ByteBuffer(string: #"{"reason": "duplicate"}"#)
                        )
                        return try await TestClient.executeAlone(request, port: port).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 7)
            #expect(try await app.balance(member) == 30)
            #expect(try await app.stock("MUG") == (2, 2))
            try await app.expectInvariants()
        }
    }
}
