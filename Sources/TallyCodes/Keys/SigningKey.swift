import Crypto

/// One HMAC key of the key ring: 32 secret bytes under a 5-bit key id.
///
/// The HMAC key schedule is computed once here and copied for every code,
/// which halves the hashing work of minting and verifying.
public struct SigningKey: Sendable {
    public static let byteCount = 32

    public let kid: UInt8
    private let prepared: HMAC<SHA256>
    /// A short, non-secret fingerprint (first 8 hex digits of SHA-256 of the key) for logs and listings.
    public let fingerprint: String

    public init(kid: UInt8, bytes: [UInt8]) throws(KeyRingError) {
        guard kid <= Code.maxKid else { throw .kidOutOfRange(Int(kid)) }
        guard bytes.count == SigningKey.byteCount else { throw .wrongKeyLength(kid: kid, count: bytes.count) }
        self.kid = kid
        self.prepared = HMAC<SHA256>(key: SymmetricKey(data: bytes))
        self.fingerprint = Hex.lowercase(SHA256.hash(data: bytes).prefix(4))
    }

    /// 32 bytes from the system's secure random generator.
    public static func randomBytes() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    /// The 40-bit tag: the first 5 bytes of HMAC-SHA256(key, "TALLY1" ‖ kid ‖ serial as 5 bytes big-endian).
    @inline(__always)
    public func tag(serial: UInt64) -> UInt64 {
        var message: (UInt64, UInt32) = (0, 0) // 12 bytes on the stack
        return withUnsafeMutableBytes(of: &message) { bytes in
            bytes[0] = UInt8(ascii: "T")
            bytes[1] = UInt8(ascii: "A")
            bytes[2] = UInt8(ascii: "L")
            bytes[3] = UInt8(ascii: "L")
            bytes[4] = UInt8(ascii: "Y")
            bytes[5] = UInt8(ascii: "1")
            bytes[6] = kid
            for i in 0..<5 { bytes[7 + i] = UInt8(truncatingIfNeeded: serial >> UInt64(8 * (4 - i))) }
            var hmac = prepared
            hmac.update(data: UnsafeRawBufferPointer(bytes))
            return hmac.finalize().withUnsafeBytes { mac in
                var tag: UInt64 = 0
                for i in 0..<5 { tag = tag << 8 | UInt64(mac[i]) }
                return tag
            }
        }
    }
}
