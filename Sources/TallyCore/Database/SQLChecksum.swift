import Crypto
import Foundation
import TallyCodes

/// The checksum `tally migrate` records for each migration and function file it applies: the
/// SHA-256 of the file's text, in hex, so that a file edited after it was applied is noticed.
enum SQLChecksum {
    static func of(_ sql: String) -> String {
        Hex.lowercase(SHA256.hash(data: Data(sql.utf8)))
    }
}
