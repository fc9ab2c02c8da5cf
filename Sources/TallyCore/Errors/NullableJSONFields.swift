/// A request type whose JSON may hold `null` in some of its fields, where `null` means something
/// (a reward's `stock: null` is unlimited stock; in a change, `null` clears the field). The
/// server refuses `null` in every other field a request type has (400 `invalid_json`), as the
/// contract marks only these fields nullable: a client's `null` is never quietly read as a
/// field left out.
public protocol NullableJSONFields {
    /// The top-level JSON keys (snake_case) that may be `null`.
    static var nullableJSONFields: Set<String> { get }
}

/// A field of a request type that may be left out without being an `Optional`
/// (`FieldUpdate`): the server refuses `null` in it unless the type declares it nullable.
public protocol OptionalJSONField {}
