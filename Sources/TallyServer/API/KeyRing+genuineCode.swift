import HTTPTypes
import TallyCodes
import TallyCore

extension KeyRing {
    /// The code in `text` (a code, or a link holding one), or the API's 422 saying what is
    /// wrong with it: malformed, mistyped, or not issued by the brand.
    func genuineCode(_ text: String) throws -> Code {
        switch check(CodeLink.codeText(in: text)) {
        case .valid(let code): return code
        case .malformed(let problem): throw APIError(.unprocessableContent, .malformedCode, "code: \(problem)")
        case .typo:
            throw APIError(.unprocessableContent, .mistypedCode, "the code's check character does not match: ask the person to re-check it")
        case .unknownKey, .forged: throw APIError(.unprocessableContent, .forgedCode, "this code was not issued by the brand")
        }
    }
}
