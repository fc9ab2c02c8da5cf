import Testing

@testable import TallyCore

/// On Citus a constraint error comes from a shard, whose constraint names carry the shard's id.
@Suite("Database errors name the schema's constraints")
struct DatabaseErrorTests {
    @Test("a shard's constraint is named as the schema names it; the schema's own names are kept")
    func shardSuffix() {
        #expect(DatabaseError.withoutShardSuffix("batches_serials_do_not_overlap_102009") == "batches_serials_do_not_overlap")
        #expect(DatabaseError.withoutShardSuffix("products_sku_key_102008") == "products_sku_key")
        #expect(DatabaseError.withoutShardSuffix("batches_check1") == "batches_check1")
        #expect(DatabaseError.withoutShardSuffix("claims_pkey") == "claims_pkey")
        #expect(DatabaseError.withoutShardSuffix("rollup_days_2026") == "rollup_days_2026")
        #expect(DatabaseError.withoutShardSuffix("x_１２３４５６") == "x_１２３４５６")
        #expect(DatabaseError.withoutShardSuffix("nounderscore") == "nounderscore")
    }

    @Test("a worker's error passed on without its constraint field is named from its message")
    func constraintFromMessage() {
        #expect(
            DatabaseError.constraintNamed(in: #"duplicate key value violates unique constraint "products_gtin_key_102008""#)
                == "products_gtin_key_102008")
        #expect(DatabaseError.constraintNamed(in: "division by zero") == nil)
    }
}
