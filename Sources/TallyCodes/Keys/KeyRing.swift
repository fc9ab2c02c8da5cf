/// The signing keys this deployment holds, by key id. Immutable and safe to share.
///
/// Keys come from a key file or the `TALLY_KEYS` environment variable, never from
/// the database. The newest (highest) key id signs new batches; older ones stay
/// valid for verification until they are removed from the ring.
public struct KeyRing: Sendable {
    private let keys: [SigningKey?] // indexed by kid, 32 slots

    public init(_ keys: [SigningKey]) throws(KeyRingError) {
        guard !keys.isEmpty else { throw .empty }
        var slots = [SigningKey?](repeating: nil, count: Int(Code.maxKid) + 1)
        for key in keys {
            guard slots[Int(key.kid)] == nil else { throw .duplicateKid(key.kid) }
            slots[Int(key.kid)] = key
        }
        self.keys = slots
    }

    /// Key ids held, ascending.
    public var kids: [UInt8] { keys.compactMap { $0?.kid } }

    /// The key id that signs new batches.
    public var newestKid: UInt8 { kids.last! }

    public func key(kid: UInt8) -> SigningKey? {
        kid <= Code.maxKid ? keys[Int(kid)] : nil
    }

    /// Signs (kid, serial) into a code. Returns nil if this ring has no key `kid`.
    @inline(__always)
    public func mint(kid: UInt8, serial: UInt64) -> Code? {
        guard serial <= Code.maxSerial, let key = key(kid: kid) else { return nil }
        return Code(kid: kid, serial: serial, tag: key.tag(serial: serial))
    }

    /// Normalises and verifies typed or scanned input.
    public func check(_ input: some StringProtocol) -> CodeCheck {
        switch CodeInput.symbols(of: input) {
        case .failure(let problem): return .malformed(problem)
        case .success(let symbols): return check(symbols: symbols)
        }
    }

    /// Verifies 18 symbol values: check symbol, then key id, then a constant-time tag comparison.
    public func check(symbols: [UInt8]) -> CodeCheck {
        guard symbols.count == Code.symbolCount, DammCheck.isValid(symbols) else { return .typo }
        var packed: UInt128 = 0
        for symbol in symbols.prefix(17) { packed = packed << 5 | UInt128(symbol) }
        let kid = UInt8(truncatingIfNeeded: packed >> 80)
        let serial = UInt64(truncatingIfNeeded: packed >> 40) & Code.maxSerial
        let tag = UInt64(truncatingIfNeeded: packed) & ((1 << 40) - 1)
        guard let key = key(kid: kid) else { return .unknownKey(kid: kid) }
        // One XOR over fixed-width integers: the time taken does not depend on where the tags differ.
        guard (key.tag(serial: serial) ^ tag) == 0 else { return .forged(kid: kid, serial: serial) }
        return .valid(Code(kid: kid, serial: serial, tag: tag))
    }
}
