import ArgumentParser
import Foundation
import TallyCore

struct APIKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikey",
        abstract: "Create, list and revoke API keys. A secret is printed once, at creation; only its hash is stored.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print its secret (once).")

        @Option(help: "A name saying who uses the key, e.g. \"line 3 printer\".")
        var name: String

        @Option(help: "A scope: mint, claim, crm:read, crm:write, redeem, campaigns or admin. Repeat for several.")
        var scope: [Scope]

        @Option(help: "Expiry as an RFC 3339 date-time, e.g. 2027-06-30T00:00:00Z or 2027-06-30T08:00:00+08:00.")
        var expires: String?

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let expiry = try expires.map { text in
                guard let date = RFC3339.date(from: text) else {
                    throw ValidationError("--expires must be an RFC 3339 date-time of a real instant, such as 2027-06-30T00:00:00Z")
                }
                return date
            }
            let (key, secret) = try await database.withDatabase { client, logger in
                try await APIKeyStore(database: client, logger: logger).create(name: name, scopes: Set(scope), expiresAt: expiry)
            }
            print(secret)
            FileHandle.standardError.write(
                Data(
                    """
                    created \(key.prefix) "\(key.name)" scopes \(key.scopes.map(\.rawValue).sorted().joined(separator: ","))\
                    \(key.expiresAt.map { " expires \($0)" } ?? "")
                    the secret above is shown only now: store it in the client's secret store

                    """.utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (prefixes, never secrets).")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let keys = try await database.withDatabase { client, logger in
                try await APIKeyStore(database: client, logger: logger).list()
            }
            for key in keys {
                let state = key.revokedAt != nil ? "revoked" : (key.expiresAt.map { $0 <= Date() } == true ? "expired" : "active")
                print("\(key.prefix)  \(state)  \(key.scopes.map(\.rawValue).sorted().joined(separator: ","))  \(key.name)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its prefix (tly_XXXXXXXX).")

        @Argument var prefix: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let key = try await database.withDatabase { client, logger in
                try await APIKeyStore(database: client, logger: logger).revoke(prefix: prefix)
            }
            print("revoked \(key.prefix) \"\(key.name)\"")
        }
    }
}

extension Scope: ExpressibleByArgument {}
