import ArgumentParser
import TallyCodes

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a typed or scanned code (or Tally URL) against the key ring, offline.",
        discussion: "Exit status: 0 for a genuine code, 1 for anything else."
    )

    @Argument(help: "The code, as typed (any case, dashes or spaces) or a full URL.")
    var input: String

    @OptionGroup var keys: KeyOptions

    func run() throws {
        let result = try keys.loadRing().check(CodeLink.codeText(in: input))
        switch result {
        case .valid(let code):
            print("valid: \(code.grouped) kid=\(code.kid) serial=\(code.serial)")
        case .malformed(let problem):
            print("malformed: \(problem)")
        case .typo:
            print("typo: the check character does not match; re-check the code")
        case .unknownKey(let kid):
            print("unknown key: key id \(kid) is not in the key ring")
        case .forged(let kid, let serial):
            print("forged: kid=\(kid) serial=\(serial) has a wrong signature; this code was not issued by the brand")
        }
        if result.code == nil { throw ExitCode(1) }
    }
}
