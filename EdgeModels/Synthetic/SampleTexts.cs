namespace Edge.Models.Synthetic;

/// <summary>What guests write on festival cards: the pools <see cref="OcrSampleSet"/> draws from.</summary>
internal static class SampleTexts
{
    public static readonly string[] Blessings =
    [
        "新年快乐", "万事如意", "恭喜发财", "身体健康", "心想事成", "阖家幸福", "吉祥如意", "福如东海",
        "岁岁平安", "大吉大利", "龙马精神", "步步高升", "年年有余", "财源广进", "前程似锦", "笑口常开",
        "平安喜乐", "四季平安", "幸福美满", "鸿运当头", "花开富贵", "五福临门",
    ];

    public static readonly string[] Greetings =
    [
        "祝您新年快乐", "恭贺新春", "新春大吉", "春节快乐", "祝你身体健康", "恭祝阖家幸福", "福星高照", "祝全家平安",
    ];

    public static readonly string[] English =
    [
        "Happy New Year", "Happy Spring Festival", "Wishing you health and joy", "Good luck and great fortune",
        "Peace and prosperity", "Welcome to the Lantern Fair", "May all your wishes come true", "Thank you for visiting",
    ];

    public static readonly string[] SignOffs = ["Best wishes to {0}", "With love from {0}", "Dear {0}", "For {0} and family"];

    public static readonly string[] Names = ["Anna", "Tom", "Mei", "Lucas", "Sofia", "Li Wei", "Omar", "Chen Jie"];

    public static readonly string[] Numbers =
    [
        "2026年1月29日", "2026-01-29", "2026.02.17", "Tel 138 0013 8000", "021-6888 1234", "No. 0427",
        "19:30", "Table 12", "Seat 3A", "Room 806", "No. 2026-0088", "2月17日 18:00",
    ];

    public static readonly string[] Mixed =
    [
        "祝Anna新年快乐", "Happy 2026 新年快乐", "恭喜发财 2026", "第3桌 Table 12", "VIP贵宾 08号", "Lucky 8 大吉大利",
        "Tom万事如意", "2026 龙马精神", "Mei心想事成", "电话 138 0013 8000", "正月初一 8:00", "票号 A0259",
        "送给Sofia的祝福", "欢迎光临 Welcome",
    ];

    /// <summary>Couplets as (上联, 下联): the first is hung on the right and read first.</summary>
    public static readonly (string First, string Second)[] Couplets =
    [
        ("春回大地千山秀", "日照神州万木荣"),
        ("天增岁月人增寿", "春满乾坤福满门"),
        ("一帆风顺年年好", "万事如意步步高"),
        ("和顺一门有百福", "平安二字值千金"),
        ("福如东海长流水", "寿比南山不老松"),
        ("春风迎新岁", "瑞雪兆丰年"),
        ("花开富贵满堂", "竹报平安四季"),
    ];

    public static readonly string[] Columns =
    [
        "新年快乐", "恭喜发财", "吉祥如意", "福星高照", "阖家幸福安康", "龙马精神步步高", "春满人间", "五福临门",
    ];
}
