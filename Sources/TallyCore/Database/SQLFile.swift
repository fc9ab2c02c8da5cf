import Foundation

/// A `.sql` file of `db/migrations` or `db/functions`: its name without `.sql`, and its text.
struct SQLFile {
    let stem: String
    let sql: String

    struct Unreadable: Error, CustomStringConvertible {
        let description: String
    }

    /// The `.sql` files in `directory`, by name.
    static func all(in directory: String) throws -> [SQLFile] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw Unreadable(description: "cannot read directory \(directory): \(error.localizedDescription)")
        }
        return try files.filter { $0.hasSuffix(".sql") }.sorted().map { file in
            try SQLFile(stem: String(file.dropLast(4)), sql: String(contentsOfFile: directory + "/" + file, encoding: .utf8))
        }
    }
}
