/// Every `error.code` the server sends: in the JSON API's `{"error": {"code", "message"}}`,
/// and in the refusals behind the consumer pages and the CLI. The raw value is the code on the
/// wire, stable for programs. Each code the JSON API can send is documented in the contract
/// (Sources/TallyServer/Resources/openapi.yaml), except those in `outsideTheAPI`.
public enum ErrorCode: String, CaseIterable, Sendable, Codable {
    // MARK: Any API request

    /// No valid API key: none sent, unknown, revoked or expired (401).
    case unauthorized
    /// The client's address sent too many wrong API keys lately; its key was not looked at (429).
    case tooManyFailedKeys = "too_many_failed_keys"
    /// The API key lacks the scope the route needs (403).
    case forbidden
    /// No such API route (404).
    case notFound = "not_found"
    /// The API path has no operation for this method; `Allow` lists those it has (405).
    case methodNotAllowed = "method_not_allowed"
    /// The body is not JSON, lacks a required field or has a field of the wrong type (400).
    case invalidJSON = "invalid_json"
    /// The body is larger than the server takes (413).
    case bodyTooLarge = "body_too_large"
    /// The body is not sent as JSON (415).
    case unsupportedMediaType = "unsupported_media_type"
    /// Something failed on the server's side; the log has the request id (500).
    case `internal`
    /// More claims wait for the database than the server takes on; try again (503).
    case overloaded
    /// The database did not answer within the request's deadline; nothing was done (503).
    case databaseUnavailable = "database_unavailable"
    /// A write was sent but its answer was lost: it may or may not have been made; retry with
    /// the same Idempotency-Key to learn the one real outcome (503).
    case outcomeUnknown = "outcome_unknown"

    // MARK: Idempotency-Key

    /// A keyed write was sent without an Idempotency-Key header (400).
    case missingIdempotencyKey = "missing_idempotency_key"
    /// The Idempotency-Key is not 1 to 200 visible ASCII characters, or was sent twice (422).
    case invalidIdempotencyKey = "invalid_idempotency_key"
    /// The Idempotency-Key was used before for a different request (422).
    case idempotencyKeyReused = "idempotency_key_reused"

    // MARK: Query parameters

    /// `limit` is not a whole number within the page sizes (400).
    case invalidLimit = "invalid_limit"
    /// `cursor` is not a positive whole number, or for pages in SKU order not a SKU (400).
    case invalidCursor = "invalid_cursor"
    /// `from` is not a valid start: a sequence in an export, an RFC 3339 date-time in a ledger (400).
    case invalidFrom = "invalid_from"
    /// `to` is not an RFC 3339 date-time (400).
    case invalidTo = "invalid_to"
    /// `count` is not a positive whole number (400).
    case invalidCount = "invalid_count"
    /// `module_size` is not 1 to 40 (400).
    case invalidModuleSize = "invalid_module_size"
    /// `format` is not one the export offers (400).
    case invalidFormat = "invalid_format"
    /// `active` is not `true` or `false` (400).
    case invalidActive = "invalid_active"
    /// `segment` is not one of the segments (400; 422 in a campaign's conditions).
    case invalidSegment = "invalid_segment"
    /// `days` is not 1 to 3650 (400, or 422 from the segment export).
    case invalidDays = "invalid_days"
    /// `lapsed_days` is not 1 to 3650 (400); in a campaign's conditions (422) also `lapsed_days`
    /// without segment `lapsed`, or segment `lapsed` without `lapsed_days`.
    case invalidLapsedDays = "invalid_lapsed_days"
    /// `tier` is not a tier name (400).
    case invalidTier = "invalid_tier"
    /// `status` is not a delivery status or a campaign status, or not `dead` for a bulk replay (400 or 422).
    case invalidStatus = "invalid_status"
    /// `kind` is not a ledger entry kind (422).
    case invalidKind = "invalid_kind"
    /// `from` or `to` of the liability report is not `YYYY-MM`, or the range is wrong (422).
    case invalidMonth = "invalid_month"

    // MARK: Products

    /// A new product has no `sku` (422).
    case missingSKU = "missing_sku"
    /// A new product has no `name` (422).
    case missingName = "missing_name"
    /// A new product has no `default_points` (422).
    case missingDefaultPoints = "missing_default_points"
    /// A `sku` (a product's, a reward's, a batch's; a `sku` query parameter, 400) or a redemption's
    /// `reward` breaks the SKU rule (422).
    case invalidSKU = "invalid_sku"
    /// A `name` is empty, too long or holds control characters (422).
    case invalidName = "invalid_name"
    /// A `description` is too long or holds control characters (422).
    case invalidDescription = "invalid_description"
    /// `default_points` is outside 0 to 1,000,000 (422).
    case invalidDefaultPoints = "invalid_default_points"
    /// `gtin` is not a valid GTIN (422).
    case invalidGTIN = "invalid_gtin"
    /// `image_url` is not an absolute http(s) URL with a host, or too long (422).
    case invalidImageURL = "invalid_image_url"
    /// Another product or reward already has this SKU (409).
    case skuTaken = "sku_taken"
    /// Another product already has this GTIN (409).
    case gtinTaken = "gtin_taken"
    /// A change sends a different `sku` (422).
    case skuImmutable = "sku_immutable"
    /// No product has this SKU (404).
    case productNotFound = "product_not_found"

    // MARK: Batches and codes

    /// A batch's `quantity` or a redemption's is out of range (422).
    case invalidQuantity = "invalid_quantity"
    /// `points_per_code` or an adjustment's `points` is out of range, or the product earns none (422).
    case invalidPoints = "invalid_points"
    /// `points_valid_months` is not 0 to 120 (422).
    case invalidPointsValidMonths = "invalid_points_valid_months"
    /// A batch's `lot` is empty, too long or holds control characters (422).
    case invalidLot = "invalid_lot"
    /// A batch's `region`, or a region in a campaign's conditions, is empty, too long or holds
    /// control characters (422).
    case invalidRegion = "invalid_region"
    /// A channel breaks the `ChannelName` rule (identities, claims, redemptions, the rewards'
    /// `channel` filter), or a batch's free-text `channel` is empty or too long (422).
    case invalidChannel = "invalid_channel"
    /// `production_date` is not written YYYY-MM-DD (422).
    case invalidProductionDate = "invalid_production_date"
    /// `expiry_date` is not written YYYY-MM-DD (422).
    case invalidExpiryDate = "invalid_expiry_date"
    /// A batch date is not a calendar date (422).
    case invalidDate = "invalid_date"
    /// `expiry_date` is before `production_date` (422).
    case invalidDates = "invalid_dates"
    /// `url_form` is not `short` or `gs1` (422).
    case invalidURLForm = "invalid_url_form"
    /// `url_form` `gs1` was asked for a product without a GTIN (422).
    case productHasNoGTIN = "product_has_no_gtin"
    /// The signing key has no room for this many more serials (409).
    case serialSpaceExhausted = "serial_space_exhausted"
    /// No batch has this id (404).
    case batchNotFound = "batch_not_found"
    /// A state change to `created` was asked for (422; no route or command asks for one).
    case invalidState = "invalid_state"
    /// Voiding without a reason (422).
    case missingReason = "missing_reason"
    /// A `reason` is too long or holds control characters (422).
    case invalidReason = "invalid_reason"
    /// Part of the range to activate is voided (409).
    case codesVoided = "codes_voided"
    /// `from` or `count` lies outside the batch (422).
    case invalidRange = "invalid_range"
    /// The batch has no code with this sequence (404).
    case codeNotFound = "code_not_found"
    /// The batch was signed with a key this server no longer holds (409).
    case keyRetired = "key_retired"
    /// An image ZIP would hold more than 10,000 images (400).
    case tooManyImages = "too_many_images"

    // MARK: Claims

    /// The code is not shaped like a code (422).
    case malformedCode = "malformed_code"
    /// The code's check character does not match (422).
    case mistypedCode = "mistyped_code"
    /// The code was not issued by the brand (422).
    case forgedCode = "forged_code"
    /// `phone` is not a phone number (422).
    case invalidPhone = "invalid_phone"
    /// An identity's `external_id` is empty, too long, has control characters, or is not E.164 for `phone` (422).
    case invalidExternalID = "invalid_external_id"
    /// The code was claimed already, by this member or another (409).
    case alreadyClaimed = "already_claimed"
    /// The code is genuine but not activated, or outside every batch (409).
    case notActive = "not_active"
    /// The brand voided the code (409).
    case voided
    /// The batch's `expiry_date` has passed (409).
    case expired
    /// The member has made today's claims (429).
    case dailyCap = "daily_cap"
    /// The identity belongs to another member than the phone, or was just linked to another (409).
    case identityConflict = "identity_conflict"
    /// A new member could not be created (a race lost twice); try again (409).
    case memberNotCreated = "member_not_created"
    /// The claim's statement returned no outcome (409).
    case claimFailed = "claim_failed"

    // MARK: Members

    /// No member has this id or identity (404).
    case memberNotFound = "member_not_found"
    /// A member lookup names neither `phone` nor `channel` and `external_id` (400).
    case missingIdentity = "missing_identity"
    /// The member does not hold the identity to unlink (404).
    case identityNotFound = "identity_not_found"
    /// The identity to unlink is the member's only one (409).
    case lastIdentity = "last_identity"
    /// The member was merged into another while an identity was being linked (409).
    case memberMerged = "member_merged"
    /// A member was to be merged into itself (422).
    case sameMember = "same_member"
    /// One of the two members was merged before (409).
    case alreadyMerged = "already_merged"
    /// The merge's statement returned no outcome (409).
    case mergeFailed = "merge_failed"
    /// The balance does not cover a debit or a redemption (422).
    case insufficientPoints = "insufficient_points"

    // MARK: Programme

    /// `tier_window_months` is not 1 to 60 (422).
    case invalidTierWindowMonths = "invalid_tier_window_months"
    /// `redemption_cancel_hours` is not 0 to 8760 (422).
    case invalidRedemptionCancelHours = "invalid_redemption_cancel_hours"
    /// `scan_retention_months` is not 0 to 120 (422).
    case invalidScanRetentionMonths = "invalid_scan_retention_months"
    /// The tiers break a rule: too many, a bad name or threshold, or repeats (422).
    case invalidTiers = "invalid_tiers"

    // MARK: Rewards

    /// No reward has this SKU (404).
    case rewardNotFound = "reward_not_found"
    /// `cost_points` is out of range (422).
    case invalidCostPoints = "invalid_cost_points"
    /// `per_member_limit` is out of range (422).
    case invalidPerMemberLimit = "invalid_per_member_limit"
    /// `active_until` is not later than `active_from` (422).
    case invalidActiveWindow = "invalid_active_window"
    /// `channels` is empty, too long, repeats a channel or has one breaking the rule (422).
    case invalidChannels = "invalid_channels"
    /// `stock` is out of range (422).
    case invalidStock = "invalid_stock"
    /// `add_stock` is zero or out of range (422).
    case invalidAddStock = "invalid_add_stock"
    /// `stock` and `add_stock` were sent together (422).
    case conflictingStockChanges = "conflicting_stock_changes"
    /// `add_stock` on a reward with unlimited stock (422).
    case stockUnlimited = "stock_unlimited"
    /// `add_stock` would withdraw more units than are left (422).
    case stockBelowZero = "stock_below_zero"

    // MARK: Redemptions

    /// No reward has the SKU to redeem, or that a campaign's voucher or prize names (422).
    case unknownReward = "unknown_reward"
    /// The reward is outside its active window (422).
    case inactive
    /// The reward is not redeemable through this channel (422).
    case wrongChannel = "wrong_channel"
    /// The reward has fewer units left than asked for (422).
    case outOfStock = "out_of_stock"
    /// The member would pass the reward's per-member limit (422).
    case limitReached = "limit_reached"
    /// The redemption's statement returned no outcome (409).
    case redemptionFailed = "redemption_failed"
    /// No redemption has this id (404).
    case redemptionNotFound = "redemption_not_found"
    /// The redemption was cancelled already (409).
    case alreadyCancelled = "already_cancelled"
    /// The time to cancel the redemption has passed (409).
    case windowClosed = "window_closed"

    // MARK: Campaigns

    /// No campaign has this id (404).
    case campaignNotFound = "campaign_not_found"
    /// `starts_at` or `ends_at` is missing, or `ends_at` is not later than `starts_at` (422).
    case invalidWindow = "invalid_window"
    /// `time_zone` is missing or not a time zone the database knows, e.g. `Asia/Shanghai` (422).
    case invalidTimeZone = "invalid_time_zone"
    /// `priority` is outside -1000 to 1000 (422).
    case invalidPriority = "invalid_priority"
    /// A condition list (`skus`, `batches`, `regions`, `tiers`) is empty, too long or repeats an
    /// entry, a region breaks the text rule, or `awards_per_member` is out of range (422).
    case invalidCondition = "invalid_condition"
    /// A condition names a SKU no product has (422).
    case unknownProduct = "unknown_product"
    /// A condition names a batch that does not exist (422).
    case unknownBatch = "unknown_batch"
    /// A condition names a tier the programme does not have (422).
    case unknownTier = "unknown_tier"
    /// `weekdays` is empty, repeats a day or has one outside 1 (Monday) to 7 (Sunday) (422).
    case invalidWeekdays = "invalid_weekdays"
    /// `hours` lacks `from` or `to`, `from` is outside 0 to 23, `to` outside 1 to 24, or they are equal (422).
    case invalidHours = "invalid_hours"
    /// `nth_claim` has `n` outside 1 to 100000, or an unknown `within` (422).
    case invalidNthClaim = "invalid_nth_claim"
    /// The campaign has no `effect`, or one of an unknown `type` (422).
    case invalidEffect = "invalid_effect"
    /// A bonus effect's `points` is missing or outside 1 to 100,000,000 (422).
    case invalidBonus = "invalid_bonus"
    /// A multiplier effect's `factor` is missing, not above 1, above 100 or has more than 2 decimals (422).
    case invalidMultiplier = "invalid_multiplier"
    /// A draw has no prizes or more than 50, or a prize's key, name or points break their rule, or
    /// it has both or neither of `points` and `reward` (422).
    case invalidPrize = "invalid_prize"
    /// Two prizes of a draw have the same key (422).
    case duplicatePrizeKey = "duplicate_prize_key"
    /// A prize has no `stock`, or one outside 1 to 1,000,000,000 (422).
    case invalidPrizeStock = "invalid_prize_stock"
    /// A prize's `probability` is missing, not above 0, above 1 or has more than 6 decimals (422).
    case invalidProbability = "invalid_probability"
    /// The probabilities of a draw's prizes add up to more than 1 (422).
    case probabilitiesOverOne = "probabilities_over_one"
    /// A budget figure is outside its range, or `when_exhausted` is neither `stop` nor `base_only` (422).
    case invalidBudget = "invalid_budget"
    /// A campaign budget's new total is below what its awards already used (422).
    case budgetBelowUsed = "budget_below_used"
    /// An abuse limit is outside 1 to 1,000,000 (422).
    case invalidLimits = "invalid_limits"
    /// The campaign has ended: it can no longer change, or be previewed (422).
    case campaignEnded = "campaign_ended"
    /// The campaign's status does not allow this step (schedule, pause, resume, end) (422).
    case invalidTransition = "invalid_transition"
    /// The campaign's window has already ended: it cannot be scheduled (422).
    case windowPassed = "window_passed"

    // MARK: Webhooks

    /// A new subscription has no `url` (422).
    case missingURL = "missing_url"
    /// `url` is not an absolute http(s) URL with a host, or is too long (422).
    case invalidURL = "invalid_url"
    /// A new subscription has no `event_types` (422).
    case missingEventTypes = "missing_event_types"
    /// `event_types` is an empty list (422).
    case invalidEventTypes = "invalid_event_types"
    /// `event_types` names an unknown event type (422).
    case invalidEventType = "invalid_event_type"
    /// There are as many subscriptions as allowed (409).
    case tooManySubscriptions = "too_many_subscriptions"
    /// No webhook subscription has this id (404).
    case webhookNotFound = "webhook_not_found"
    /// The subscription has no delivery with this id (404).
    case deliveryNotFound = "delivery_not_found"
    /// The delivery is still pending: it will be tried again without a replay (409).
    case deliveryPending = "delivery_pending"

    // MARK: Campaign reports

    /// A campaign report's `from` or `to` is not a calendar date `YYYY-MM-DD` (422).
    case invalidReportDate = "invalid_report_date"
    /// A campaign report's `from` is after its `to`, or the range is longer than 366 days (422).
    case invalidReportRange = "invalid_report_range"
    /// A backtest's `days` is missing or not a whole number from 1 to 366 (422).
    case invalidBacktestDays = "invalid_backtest_days"

    // MARK: Sign-in page (not the JSON API)

    /// A sign-in code was sent to this phone less than a minute ago.
    case codeRecentlySent = "code_recently_sent"
    /// Too many sign-in codes were asked for this phone or address within an hour.
    case tooManyCodes = "too_many_codes"

    // MARK: API keys, from the CLI (not the JSON API)

    /// A new API key has no scope.
    case invalidScopes = "invalid_scopes"
    /// A new API key's expiry is not in the future.
    case invalidExpiry = "invalid_expiry"
    /// The API key was not created.
    case notCreated = "not_created"
    /// No API key has this prefix.
    case keyNotFound = "key_not_found"

    // MARK: Staff and the brand console (not the JSON API)

    /// A staff name is not 2 to 63 lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit.
    case invalidStaffName = "invalid_staff_name"
    /// A staff name is taken.
    case staffNameTaken = "staff_name_taken"
    /// No staff account has this name.
    case staffNotFound = "staff_not_found"
    /// A staff password is not 12 to 200 characters.
    case invalidPassword = "invalid_password"
    /// An admin account must have a second factor (TOTP).
    case secondFactorRequired = "second_factor_required"
    /// Wrong name, password or second-factor code; the account is locked after several.
    case signInRefused = "sign_in_refused"
    /// The account is locked for a while after repeated wrong sign-ins, or disabled.
    case accountLocked = "account_locked"
    /// The staff member's role may not do this.
    case notPermitted = "not_permitted"
    /// An abuse alert's `from` is not before its `to`, or the window is longer than 92 days.
    case invalidAlertWindow = "invalid_alert_window"
    /// An abuse alert's threshold (scans, scanners, minutes, phones) is outside its range.
    case invalidAlertThreshold = "invalid_alert_threshold"

    /// The codes the JSON API never sends, so the contract need not list them: those of the
    /// consumer sign-in page (which shows their message), of the CLI's `tally api-key`, and of
    /// staff accounts and the console (its alerts included).
    public static let outsideTheAPI: Set<ErrorCode> = [
        .codeRecentlySent, .tooManyCodes,
        .invalidScopes, .invalidExpiry, .notCreated, .keyNotFound, .invalidState,
        .invalidStaffName, .staffNameTaken, .staffNotFound, .invalidPassword, .secondFactorRequired, .signInRefused,
        .accountLocked, .notPermitted, .invalidAlertWindow, .invalidAlertThreshold,
    ]
}
