/// Why a key ring could not be loaded. Messages never contain key material.
public enum KeyRingError: Error, Equatable, Sendable, CustomStringConvertible {
    case kidOutOfRange(Int)
    case wrongKeyLength(kid: UInt8, count: Int)
    case duplicateKid(UInt8)
    case badLine(number: Int, reason: String)
    case empty
    case unreadable(path: String, reason: String)
    case tooOpen(path: String, mode: UInt32)

    public var description: String {
        switch self {
        case .kidOutOfRange(let kid): "key id \(kid) is out of range (0...31)"
        case .wrongKeyLength(let kid, let count): "key \(kid) has \(count) bytes; a key has exactly 32"
        case .duplicateKid(let kid): "key id \(kid) appears twice"
        case .badLine(let number, let reason): "key line \(number): \(reason)"
        case .empty: "no keys: create a key file with `tally keys generate`"
        case .unreadable(let path, let reason): "cannot read key file \(path): \(reason)"
        case .tooOpen(let path, let mode):
            "key file \(path) has mode \(String(mode, radix: 8)); it must not be readable by group or others (chmod 600)"
        }
    }
}
