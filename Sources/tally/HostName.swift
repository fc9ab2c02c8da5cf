/// A DNS host name (optionally with :port) as it may appear in a printed URL.
enum HostName {
    static func isValid(_ host: String) -> Bool {
        let parts = host.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let name = parts.first, !name.isEmpty, name.count <= 253 else { return false }
        if parts.count == 2 { guard let port = Int(parts[1]), (1...65535).contains(port) else { return false } }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
