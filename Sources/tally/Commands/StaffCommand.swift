import ArgumentParser
import Foundation
import TallyCore

/// `tally staff`: the brand console's accounts. A password is read from standard input (one
/// line), never from the command line, where other users and the shell history would see it.
struct StaffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staff",
        abstract: "Create, list, disable, enable and reset the brand console's staff accounts.",
        subcommands: [Create.self, List.self, Disable.self, Enable.self, Reset.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account; reads its password (12 to 200 characters) from standard input and prints its TOTP secret.")

        @Argument(help: "The sign-in name: 2 to 63 lower-case letters, digits, '.', '_' or '-'.")
        var name: String

        @Option(help: "viewer, service, marketer, packaging or admin.")
        var role: StaffRole

        @Flag(help: "No second factor (not for admins).")
        var noTOTP = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let password = try readPassword()
            let (member, secret) = try await database.withDatabase { client, logger in
                try await StaffStore(database: client, logger: logger).create(
                    name: name, role: role, password: password, secondFactor: !noTOTP, by: .commandLine)
            }
            print("created \(member.name) (\(member.role.rawValue))")
            printSecret(secret, name: member.name)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the accounts.")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let members = try await database.withDatabase { client, logger in
                try await StaffStore(database: client, logger: logger).list()
            }
            for member in members {
                let state =
                    member.disabledAt != nil
                    ? "disabled" : (member.lockedUntil.map { $0 > Date() } == true ? "locked" : "active")
                print("\(member.name)  \(member.role.rawValue)  \(state)  \(member.hasSecondFactor ? "totp" : "no-totp")")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account; its sessions end at once.")

        @Argument var name: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let member = try await database.withDatabase { client, logger in
                try await StaffStore(database: client, logger: logger).setDisabled(true, name: name, by: .commandLine)
            }
            print("disabled \(member.name)")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account again.")

        @Argument var name: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let member = try await database.withDatabase { client, logger in
                try await StaffStore(database: client, logger: logger).setDisabled(false, name: name, by: .commandLine)
            }
            print("enabled \(member.name)")
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Set a new password (from standard input) and a new TOTP secret; clears a lock-out and ends the account's sessions.")

        @Argument var name: String

        @Flag(help: "No second factor (not for admins).")
        var noTOTP = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let password = try readPassword()
            let (member, secret) = try await database.withDatabase { client, logger in
                try await StaffStore(database: client, logger: logger).reset(
                    name: name, password: password, secondFactor: !noTOTP, by: .commandLine)
            }
            print("reset \(member.name)")
            printSecret(secret, name: member.name)
        }
    }
}

private func readPassword() throws -> String {
    guard let line = Swift.readLine(strippingNewline: true), !line.isEmpty else {
        throw ValidationError("type the password on standard input (one line), e.g. from a password manager")
    }
    return line
}

private func printSecret(_ secret: String?, name: String) {
    guard let secret else { return }
    print("totp secret \(secret)")
    print(StaffTOTP.authenticatorURL(secret: secret, name: name, issuer: "Tally"))
    FileHandle.standardError.write(
        Data("add the secret to an authenticator app now: it is shown only once\n".utf8))
}

extension StaffRole: ExpressibleByArgument {}
