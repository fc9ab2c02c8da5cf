/// Damm's check over GF(32) (modulus x⁵+x²+1) with the quasigroup x∘y = 2·x ⊕ y.
///
/// It catches every single-symbol substitution and every adjacent transposition,
/// which is what lets the landing page tell a typo from a forgery.
public enum DammCheck {
    @inline(__always)
    static func double(_ x: UInt8) -> UInt8 {
        let shifted = x << 1
        return (x & 0x10) != 0 ? (shifted ^ 0x25) & 0x1F : shifted
    }

    /// The interim value after folding in `symbols` (values 0...31).
    @inline(__always)
    static func interim<S: Sequence>(_ symbols: S) -> UInt8 where S.Element == UInt8 {
        var interim: UInt8 = 0
        for d in symbols { interim = double(interim) ^ d }
        return interim
    }

    /// The check symbol to append to `symbols`, so that the whole runs to interim 0.
    public static func checkSymbol<S: Sequence>(for symbols: S) -> UInt8 where S.Element == UInt8 {
        double(interim(symbols))
    }

    /// True when `symbols` (payload followed by its check symbol) runs to interim 0.
    public static func isValid<S: Sequence>(_ symbols: S) -> Bool where S.Element == UInt8 {
        interim(symbols) == 0
    }
}
