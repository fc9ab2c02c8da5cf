extension Migration {
    /// Checksums that shipped migrations had before they were rewritten, by version. A database
    /// that applied a migration under one of these takes the migration's current text as applied
    /// (and records its checksum) instead of refusing it as changed.
    ///
    /// Only a rewrite that leaves the schema as it was belongs here. 0001–0009 as shipped up to
    /// the release before db/functions defined (or replaced) functions and triggers; those moved
    /// to db/functions, which `tally migrate` applies after the migrations, so a database migrated
    /// by the old texts ends with the same schema and functions as a fresh one (UpgradeTests
    /// compares the two through pg_catalog, with the old texts in
    /// Tests/TallyCoreTests/Fixtures/migrations-0009).
    public static let formerChecksums: [Int: Set<String>] = [
        1: ["4f4ba7c8cc5dd5e39125099c71a8fbd1d2c1f51efd88ff2cf8f85b831cc08c7a"],
        3: ["1cf26d6c5b0af62d508c1caabf73976a2a5028f4aafa70fa3c875c9c7de7bee0"],
        4: ["59f60b75347298f111882dc6af3e52feb1763729bf5f22a10062745b81f0efd6"],
        5: ["5219558ca34d570d15f158439426c3d7053011b4e4a2d06bf9f39eccb49a2421"],
        6: ["7c70e7439ef40f9af741af93c8f715dd786b0e1619a762744704362c7039c8d9"],
        7: ["70434ce2acab7fd3d4d062dc4629260f9304a228210818a7ff7d5f9c94317c41"],
        8: ["a1188d5cde47f3b58c720560df65ca24076a6b431931a82b9579f4e796029e31"],
    ]
}
