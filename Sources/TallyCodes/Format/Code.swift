/// One signed serial code of format v1: kid (5 bits) | serial (40 bits) | tag (40 bits),
/// written as 17 base32 symbols and a Damm check symbol.
public struct Code: Hashable, Sendable, CustomStringConvertible {
    public static let symbolCount = 18
    public static let maxKid: UInt8 = 31
    public static let maxSerial: UInt64 = (1 << 40) - 1

    public let kid: UInt8
    public let serial: UInt64
    /// The first 40 bits of HMAC-SHA256(K_kid, "TALLY1" ‖ kid ‖ serial).
    public let tag: UInt64

    /// Builds a code from its parts; `tag` must already be the right tag for (kid, serial).
    /// Use `KeyRing.mint` to sign a new one.
    public init(kid: UInt8, serial: UInt64, tag: UInt64) {
        precondition(kid <= Code.maxKid, "kid must fit in 5 bits")
        precondition(serial <= Code.maxSerial, "serial must fit in 40 bits")
        precondition(tag < (1 << 40), "tag must fit in 40 bits")
        self.kid = kid
        self.serial = serial
        self.tag = tag
    }

    /// The 18 symbol values (0...31), most significant first, check symbol last.
    public var symbols: [UInt8] {
        var out = [UInt8](repeating: 0, count: Code.symbolCount)
        writeSymbols(into: &out)
        return out
    }

    /// The canonical form: 18 characters, e.g. `100XSNJKV2X7HSAVAG`.
    public var text: String {
        String(unsafeUninitializedCapacity: Code.symbolCount) { buffer in
            writeASCII(into: UnsafeMutableRawBufferPointer(buffer))
            return Code.symbolCount
        }
    }

    /// The form shown to people: three groups of six, e.g. `100XSN-JKV2X7-HSAVAG`.
    public var grouped: String {
        String(unsafeUninitializedCapacity: Code.symbolCount + 2) { buffer in
            writeGroupedASCII(into: UnsafeMutableRawBufferPointer(buffer))
            return Code.symbolCount + 2
        }
    }

    public var description: String { grouped }

    /// Writes the 18 ASCII characters of `text` to the start of `buffer`.
    @inline(__always)
    public func writeASCII(into buffer: UnsafeMutableRawBufferPointer) {
        let packed = packedValue
        var interim: UInt8 = 0
        for i in 0..<17 {
            let symbol = UInt8(truncatingIfNeeded: packed >> UInt128(5 * (16 - i))) & 0x1F
            interim = DammCheck.double(interim) ^ symbol
            buffer[i] = Base32.alphabet[Int(symbol)]
        }
        buffer[17] = Base32.alphabet[Int(DammCheck.double(interim))]
    }

    /// Writes the 20 ASCII characters of `grouped` to the start of `buffer`.
    @inline(__always)
    public func writeGroupedASCII(into buffer: UnsafeMutableRawBufferPointer) {
        withUnsafeTemporaryAllocation(byteCount: Code.symbolCount, alignment: 1) { plain in
            writeASCII(into: plain)
            var j = 0
            for i in 0..<Code.symbolCount {
                if i == 6 || i == 12 {
                    buffer[j] = UInt8(ascii: "-")
                    j += 1
                }
                buffer[j] = plain[i]
                j += 1
            }
        }
    }

    /// kid(5) | serial(40) | tag(40) as one 85-bit number.
    var packedValue: UInt128 {
        UInt128(kid) << 80 | UInt128(serial) << 40 | UInt128(tag)
    }

    private func writeSymbols(into out: inout [UInt8]) {
        let packed = packedValue
        for i in 0..<17 {
            out[i] = UInt8(truncatingIfNeeded: packed >> UInt128(5 * (16 - i))) & 0x1F
        }
        out[17] = DammCheck.checkSymbol(for: out[0..<17])
    }
}
