import Foundation

#if canImport(Glibc)
    import Glibc
    private let systemWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin
    private let systemWrite = Darwin.write
#endif

/// The key text format, shared by key files and the `TALLY_KEYS` environment variable:
/// entries `KID:HEX64` separated by new lines, commas or spaces; `#` starts a comment.
///
///     # Tally signing keys: keep secret. The highest kid signs new batches.
///     1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
public enum KeyFile {
    public static let environmentVariable = "TALLY_KEYS"

    /// Parses key text. Error messages name line numbers, never key material.
    public static func parse(_ text: String) throws(KeyRingError) -> KeyRing {
        var keys: [SigningKey] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let entries = line.split { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\r" }
            for entry in entries {
                keys.append(try parseEntry(entry, lineNumber: index + 1))
            }
        }
        return try KeyRing(keys)
    }

    /// Loads the ring from `path`, refusing a file that group or others can read.
    public static func load(path: String) throws(KeyRingError) -> KeyRing {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        let mode = UInt32(info.st_mode) & 0o777
        guard mode & 0o077 == 0 else { throw .tooOpen(path: path, mode: mode) }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        return try parse(text)
    }

    /// The ring from `path` if given, else from `TALLY_KEYS`.
    public static func load(path: String?, environment: [String: String]) throws(KeyRingError) -> KeyRing {
        if let path, !path.isEmpty { return try load(path: path) }
        if let text = environment[environmentVariable], !text.isEmpty { return try parse(text) }
        throw .empty
    }

    /// Writes a new key file holding one fresh random key, created with mode 0600.
    /// Refuses to overwrite an existing file.
    public static func create(path: String, kid: UInt8) throws(KeyRingError) {
        guard kid <= Code.maxKid else { throw .kidOutOfRange(Int(kid)) }
        let text =
            "# Tally signing keys: keep secret. The highest kid signs new batches.\n"
            + entryLine(kid: kid, bytes: SigningKey.randomBytes())
        try write(text, to: path, flags: O_WRONLY | O_CREAT | O_EXCL)
    }

    /// Appends a fresh key under the next key id to an existing key file; returns that kid.
    public static func rotate(path: String) throws(KeyRingError) -> UInt8 {
        let ring = try load(path: path)
        let next = Int(ring.newestKid) + 1
        guard next <= Int(Code.maxKid) else { throw .kidOutOfRange(next) }
        try write(entryLine(kid: UInt8(next), bytes: SigningKey.randomBytes()), to: path, flags: O_WRONLY | O_APPEND)
        return UInt8(next)
    }

    static func entryLine(kid: UInt8, bytes: [UInt8]) -> String {
        "\(kid):\(Hex.lowercase(bytes))\n"
    }

    private static func parseEntry(_ entry: Substring, lineNumber: Int) throws(KeyRingError) -> SigningKey {
        let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let kid = Int(parts[0]) else {
            throw .badLine(number: lineNumber, reason: "expected KID:HEX")
        }
        guard (0...Int(Code.maxKid)).contains(kid) else { throw .kidOutOfRange(kid) }
        guard let bytes = decodeHex(parts[1]) else {
            throw .badLine(number: lineNumber, reason: "key is not hexadecimal")
        }
        return try SigningKey(kid: UInt8(kid), bytes: bytes)
    }

    private static func decodeHex(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = nibble(digits[i]), let low = nibble(digits[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
            i += 2
        }
        return bytes
    }

    private static func write(_ text: String, to path: String, flags: Int32) throws(KeyRingError) {
        let fd = open(path, flags, 0o600)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
        // A lost key makes every code printed with it unverifiable: make sure it reached the disk.
        guard written == bytes.count, fsync(fd) == 0 else {
            throw .unreadable(path: path, reason: "could not write the whole key")
        }
    }
}
