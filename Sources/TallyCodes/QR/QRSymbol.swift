import CQRencode

#if canImport(Glibc)
    import Glibc
#endif

/// QR error-correction level: the share of the symbol that can be damaged and still read.
public enum QRLevel: String, Sendable, CaseIterable {
    case L, M, Q, H

    var native: QRecLevel {
        switch self {
        case .L: QR_ECLEVEL_L
        case .M: QR_ECLEVEL_M
        case .Q: QR_ECLEVEL_Q
        case .H: QR_ECLEVEL_H
        }
    }
}

/// How to pick the error-correction level.
public enum QRLevelChoice: Sendable, Equatable {
    /// Exactly this level, at whatever version the content needs.
    case fixed(QRLevel)
    /// Level Q; but when Q would need more than version 3 (29×29) and M fits in version 3, M.
    /// Keeps every short-URL symbol 29×29 for hosts of up to 18 characters, at the best level that allows.
    case automatic
}

public enum QRError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case tooLong
    case encoderFailed(errno: Int32)

    public var description: String {
        switch self {
        case .empty: "nothing to encode"
        case .tooLong: "the content is too long for a QR symbol at this level"
        case .encoderFailed(let code): "libqrencode failed (errno \(code))"
        }
    }
}

/// A QR symbol as a square of modules, without quiet zone. Made by libqrencode.
public struct QRSymbol: Sendable, Equatable {
    /// Modules on a side: 17 + 4 × version.
    public let width: Int
    public let version: Int
    public let level: QRLevel
    /// `width × width` values, row by row, 1 for a dark module and 0 for a light one.
    public let modules: [UInt8]

    /// The quiet zone every rendering puts around the symbol, in modules.
    public static let quietZone = 4

    public init(encoding text: String, level choice: QRLevelChoice = .automatic) throws(QRError) {
        switch choice {
        case .fixed(let level):
            self = try QRSymbol.encode(text, level: level)
        case .automatic:
            let preferred = try QRSymbol.encode(text, level: .Q)
            if preferred.version > 3, let medium = try? QRSymbol.encode(text, level: .M), medium.version <= 3 {
                self = medium
            } else {
                self = preferred
            }
        }
    }

    @inline(__always)
    public func isDark(x: Int, y: Int) -> Bool {
        modules[y * width + x] != 0
    }

    /// Encodes with case sensitivity on, so upper-case runs (the path and code) use alphanumeric mode.
    private static func encode(_ text: String, level: QRLevel) throws(QRError) -> QRSymbol {
        guard !text.isEmpty else { throw .empty }
        guard let symbol = QRcode_encodeString(text, 0, level.native, QR_MODE_8, 1) else {
            throw errno == ERANGE ? .tooLong : .encoderFailed(errno: errno)
        }
        defer { QRcode_free(symbol) }
        let width = Int(symbol.pointee.width)
        let data = UnsafeBufferPointer(start: symbol.pointee.data, count: width * width)
        return QRSymbol(
            width: width,
            version: Int(symbol.pointee.version),
            level: level,
            modules: data.map { $0 & 1 }
        )
    }

    private init(width: Int, version: Int, level: QRLevel, modules: [UInt8]) {
        self.width = width
        self.version = version
        self.level = level
        self.modules = modules
    }
}
