/// Checks free text before it reaches PostgreSQL, counting as PostgreSQL does (Unicode code
/// points, not Swift's grapheme clusters) and refusing what it cannot store (NUL) or what has
/// no place in a name (control characters), so that bad input gets a 422, never a 500.
enum TextRules {
    /// Refuses `value` (the field `field`) with `invalid` unless it has `lengths` code points
    /// and no control characters (line breaks and tabs allowed only when `multiline`).
    static func check(_ value: String, field: String, invalid: ErrorCode, lengths: ClosedRange<Int>, multiline: Bool = false) throws {
        let scalars = value.unicodeScalars
        guard lengths.contains(scalars.count) else {
            throw StoreError(.invalid, invalid, "\(field) has \(lengths.lowerBound) to \(lengths.upperBound) characters")
        }
        let allowed: Set<Unicode.Scalar> = multiline ? ["\n", "\r", "\t"] : []
        guard !scalars.contains(where: { $0.properties.generalCategory == .control && !allowed.contains($0) }) else {
            throw StoreError(.invalid, invalid, "\(field) contains control characters")
        }
    }
}
