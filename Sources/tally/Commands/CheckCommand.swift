import ArgumentParser
import TallyCore

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the invariants of the points ledger against the database.",
        discussion: "Prints one line per invariant; exits 1 if any does not hold."
    )

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let findings = try await database.withDatabase { client, logger in
            try await InvariantChecker(database: client, logger: logger).check()
        }
        for finding in findings { print(finding) }
        if findings.contains(where: { !$0.holds }) { throw ExitCode(1) }
    }
}
