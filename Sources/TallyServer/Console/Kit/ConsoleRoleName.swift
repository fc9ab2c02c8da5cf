import TallyCore

/// A role's name as the console shows it.
enum ConsoleRoleName {
    static func name(_ role: StaffRole, _ lang: ConsoleLanguage) -> String {
        switch role {
        case .viewer: lang("只读", "Viewer")
        case .service: lang("客服", "Customer service")
        case .marketer: lang("市场", "Marketer")
        case .packaging: lang("包装产线", "Packaging")
        case .admin: lang("管理员", "Admin")
        }
    }
}
