import HummingbirdBcrypt

/// The rules for a staff password, and its hash: bcrypt, slow on purpose, with its salt inside.
public enum StaffPassword {
    public static let lengths = 12...200
    /// 2^12 rounds: about a quarter of a second on one core here, once per sign-in.
    static let cost: UInt8 = 12

    public static func check(_ password: String) throws {
        guard lengths.contains(password.count) else {
            throw StoreError(.invalid, .invalidPassword, "a password has \(lengths.lowerBound) to \(lengths.upperBound) characters")
        }
    }

    static func hash(_ password: String) -> String {
        Bcrypt.hash(password, cost: cost)
    }

    static func verify(_ password: String, hash: String) -> Bool {
        Bcrypt.verify(password, hash: hash)
    }

    /// A hash no password matches, verified against for unknown names, so that a wrong name
    /// takes as long to refuse as a wrong password.
    static let decoy = Bcrypt.hash("decoy password of no account", cost: cost)
}
