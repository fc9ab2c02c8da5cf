import Foundation

/// One file of `db/functions`, named after the function or procedure it defines: its current
/// definition, `CREATE OR REPLACE`, and for a trigger function its `CREATE OR REPLACE TRIGGER`
/// statements too. `tally migrate` applies it after the migrations whenever its text changed
/// (see `Migrator`), so the file is the one place a function's body is written.
public struct SchemaFunction: Sendable, Equatable {
    public let name: String
    public let sql: String

    /// SHA-256 of the file: applied again when it differs from the one recorded.
    public var checksum: String { SQLChecksum.of(sql) }

    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// The function files in `directory`, by name.
    public static func load(directory: String) throws -> [SchemaFunction] {
        try SQLFile.all(in: directory).map { file in
            try checked(SchemaFunction(name: file.stem, sql: file.sql), file: file.stem + ".sql")
        }
    }

    /// Refuses a file that could not be applied twice or that does not define its name.
    static func checked(_ function: SchemaFunction, file: String) throws -> SchemaFunction {
        guard function.name.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw Invalid(
                description: "function file \(file) must be named after its function: lower-case letters, digits and _, then .sql")
        }
        for line in function.sql.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true).prefix(2).map { $0.uppercased() }
            if words.first == "CREATE", words.count == 2, ["FUNCTION", "PROCEDURE", "TRIGGER"].contains(words[1]) {
                throw Invalid(
                    description:
                        "function file \(file) has \"\(line)\": it is applied again whenever it changes, so it may only CREATE OR REPLACE")
            }
        }
        let defines = "(FUNCTION|PROCEDURE)\\s+(public\\.)?\(function.name)\\s*\\("
        guard function.sql.range(of: defines, options: [.regularExpression, .caseInsensitive]) != nil else {
            throw Invalid(description: "function file \(file) must define the function or procedure \(function.name)")
        }
        return function
    }
}
