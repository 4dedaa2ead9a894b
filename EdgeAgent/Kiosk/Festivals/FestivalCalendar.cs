using System.Globalization;
using Edge.Models.Text;

namespace Edge.Agent.Kiosk.Festivals;

/// <summary>An sRGB colour on the preview; the printer sees its luma.</summary>
public readonly record struct CardColour(byte R, byte G, byte B);

/// <summary>Preview colours: paper, main ink, and the accent for ornaments.</summary>
public sealed record CardPalette(CardColour Paper, CardColour Ink, CardColour Accent);

/// <summary>The ornament drawn around the card's title and in its border.</summary>
public enum CardMotif
{
    Plain,
    Clouds,
    Lanterns,
    Moon,
    Waves,
    Stars,
    Chrysanthemum,
    Snowflakes,
    Fireworks,
}

/// <summary>A Spring Festival couplet: 上联 (right column), 下联 (left column) and 横批 (the banner across the top).</summary>
public sealed record Couplet(string Upper, string Lower, string Banner);

/// <summary>How a festival's card looks. A couplet makes the card a vertical couplet design.</summary>
public sealed record CardDesign(CardPalette Palette, CardMotif Motif, FontStyle TitleStyle, Couplet? Couplet = null)
{
    public static CardDesign Default { get; } = new(
        new CardPalette(new CardColour(255, 250, 240), new CardColour(150, 20, 30), new CardColour(200, 150, 40)),
        CardMotif.Plain, FontStyle.Kai);
}

/// <summary>A blessing in Chinese with its English rendering.</summary>
public sealed record BlessingPhrase(string Chinese, string English);

/// <summary>A festival the kiosk celebrates: names, blessings to choose from, and its card design.</summary>
public sealed record Festival(string Id, string ChineseName, string EnglishName, IReadOnlyList<BlessingPhrase> Blessings, CardDesign Design);

/// <summary>
/// A date in the Chinese lunisolar calendar. <see cref="Month"/> is the month's name (1–12), with
/// <see cref="IsLeapMonth"/> set for the intercalary month that repeats it (闰六月 is Month 6, leap).
/// </summary>
public readonly record struct LunarDate(int Year, int Month, int Day, bool IsLeapMonth)
{
    private static readonly ChineseLunisolarCalendar Calendar = new();
    private const string Stems = "甲乙丙丁戊己庚辛壬癸";
    private const string Branches = "子丑寅卯辰巳午未申酉戌亥";
    private static readonly string[] MonthNames = ["正", "二", "三", "四", "五", "六", "七", "八", "九", "十", "冬", "腊"];
    private static readonly string[] Digits = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

    /// <summary>The lunar date of a Gregorian date, or null outside the calendar's range (1901-02-19 .. 2101-01-28).</summary>
    public static LunarDate? From(DateOnly date)
    {
        var time = date.ToDateTime(TimeOnly.MinValue);
        if (time < Calendar.MinSupportedDateTime || time > Calendar.MaxSupportedDateTime) return null;
        int year = Calendar.GetYear(time), month = Calendar.GetMonth(time), day = Calendar.GetDayOfMonth(time);
        // GetMonth counts the leap month as a month of its own: with a leap 6th month, 7 is 闰六月 and 8 is the 7th month.
        int leap = Calendar.GetLeapMonth(year);
        bool isLeap = leap > 0 && month == leap;
        if (leap > 0 && month >= leap) month--;
        return new LunarDate(year, month, day, isLeap);
    }

    /// <summary>The year's stem-branch name, e.g. 乙巳 for the lunar year that began in 2025.</summary>
    public string SexagenaryYear
    {
        get
        {
            int cycle = ((Year - 4) % 60 + 60) % 60;   // 4 CE was 甲子
            return $"{Stems[cycle % 10]}{Branches[cycle % 12]}";
        }
    }

    /// <summary>Month name: 正月, 二月 … 十月, 冬月, 腊月; a leap month is prefixed 闰.</summary>
    public string MonthName => $"{(IsLeapMonth ? "闰" : "")}{MonthNames[Month - 1]}月";

    /// <summary>Day name: 初一 … 初十, 十一 … 二十, 廿一 … 廿九, 三十.</summary>
    public string DayName => Day switch
    {
        <= 10 => "初" + Digits[Day],
        < 20 => "十" + Digits[Day - 10],
        20 => "二十",
        < 30 => "廿" + Digits[Day - 20],
        _ => "三十",
    };

    /// <summary>As printed on the card, e.g. 乙巳年 八月十五.</summary>
    public string ToChinese() => $"{SexagenaryYear}年 {MonthName}{DayName}";

    public override string ToString() => ToChinese();
}

/// <summary>
/// Which festival a day belongs to. Lunar festivals come from <see cref="ChineseLunisolarCalendar"/>
/// and are never matched inside a leap month (the festival is in the regular month of that name).
/// Spans: the Spring Festival card runs from New Year's Eve (除夕) through 初七 (人日, the end of the
/// traditional holiday week); National Day covers the Golden Week, Oct 1–7; Christmas covers Dec 24–25.
/// Precedence where two meet (Mid-Autumn or Double Ninth inside Golden Week, as on 2020-10-01 or
/// 2025-10-06): a lunar festival's own day beats a Gregorian holiday, and a festival's main day beats
/// the rest of another's span. Lunar dates outside the calendar's range (before 1901, after 2100)
/// simply match no lunar festival.
/// </summary>
public static class FestivalCalendar
{
    private static CardPalette Red => new(new CardColour(190, 22, 34), new CardColour(255, 214, 90), new CardColour(255, 236, 160));

    public static Festival SpringFestival { get; } = new("spring-festival", "春节", "Spring Festival",
        [
            new("新春快乐", "Happy Spring Festival"),
            new("万事如意", "May all go as you wish"),
            new("恭喜发财", "Wishing you prosperity"),
            new("阖家幸福", "Happiness to all your family"),
        ],
        new CardDesign(Red, CardMotif.Clouds, FontStyle.Kai, new Couplet("天增岁月人增寿", "春满乾坤福满门", "四季平安")));

    public static Festival LanternFestival { get; } = new("lantern-festival", "元宵节", "Lantern Festival",
        [
            new("元宵快乐", "Happy Lantern Festival"),
            new("团团圆圆", "Together, whole and complete"),
            new("花好月圆", "Blooming flowers, full moon"),
        ],
        new CardDesign(Red, CardMotif.Lanterns, FontStyle.Kai));

    public static Festival DragonBoat { get; } = new("dragon-boat", "端午节", "Dragon Boat Festival",
        [
            new("端午安康", "Peace and health at Duanwu"),
            new("粽香情浓", "Sweet zongzi, warm hearts"),
            new("龙舟竞渡", "May your dragon boat race ahead"),
        ],
        new CardDesign(new CardPalette(new CardColour(236, 246, 232), new CardColour(20, 90, 50), new CardColour(60, 140, 90)), CardMotif.Waves, FontStyle.Kai));

    public static Festival Qixi { get; } = new("qixi", "七夕节", "Qixi Festival",
        [
            new("七夕快乐", "Happy Qixi"),
            new("佳偶天成", "A match made in heaven"),
            new("情深似海", "Love as deep as the sea"),
        ],
        new CardDesign(new CardPalette(new CardColour(252, 236, 242), new CardColour(150, 30, 90), new CardColour(220, 110, 160)), CardMotif.Stars, FontStyle.Kai));

    public static Festival MidAutumn { get; } = new("mid-autumn", "中秋节", "Mid-Autumn Festival",
        [
            new("中秋快乐", "Happy Mid-Autumn Festival"),
            new("花好月圆", "Blooming flowers, full moon"),
            new("阖家团圆", "Together under the full moon"),
        ],
        new CardDesign(new CardPalette(new CardColour(24, 34, 72), new CardColour(250, 220, 130), new CardColour(255, 240, 190)), CardMotif.Moon, FontStyle.Kai));

    public static Festival DoubleNinth { get; } = new("double-ninth", "重阳节", "Double Ninth Festival",
        [
            new("重阳安康", "Health and peace at Chongyang"),
            new("福寿安康", "Blessings and long life"),
            new("登高望远", "Climb high, see far"),
        ],
        new CardDesign(new CardPalette(new CardColour(255, 246, 224), new CardColour(140, 70, 10), new CardColour(230, 160, 30)), CardMotif.Chrysanthemum, FontStyle.Kai));

    public static Festival NationalDay { get; } = new("national-day", "国庆节", "National Day",
        [
            new("国庆快乐", "Happy National Day"),
            new("国泰民安", "Peace and prosperity"),
        ],
        new CardDesign(new CardPalette(new CardColour(200, 20, 30), new CardColour(255, 222, 0), new CardColour(255, 240, 120)), CardMotif.Stars, FontStyle.Sans));

    public static Festival NewYearsDay { get; } = new("new-years-day", "元旦", "New Year's Day",
        [
            new("元旦快乐", "Happy New Year"),
            new("新年快乐", "Happy New Year"),
            new("万事顺遂", "May everything go smoothly"),
        ],
        new CardDesign(new CardPalette(new CardColour(20, 24, 48), new CardColour(255, 255, 255), new CardColour(255, 200, 60)), CardMotif.Fireworks, FontStyle.Sans));

    public static Festival Christmas { get; } = new("christmas", "圣诞节", "Christmas",
        [
            new("圣诞快乐", "Merry Christmas"),
            new("平安喜乐", "Peace and joy"),
        ],
        new CardDesign(new CardPalette(new CardColour(245, 250, 245), new CardColour(170, 20, 30), new CardColour(20, 110, 50)), CardMotif.Snowflakes, FontStyle.Sans));

    /// <summary>Every other day: a general blessing card.</summary>
    public static Festival Everyday { get; } = new("everyday", "吉祥如意", "Good Fortune",
        [
            new("吉祥如意", "Good fortune, every wish fulfilled"),
            new("心想事成", "May your wishes come true"),
            new("平安喜乐", "Peace and joy"),
        ],
        CardDesign.Default);

    /// <summary>All festivals the calendar knows, <see cref="Everyday"/> excluded.</summary>
    public static IReadOnlyList<Festival> All { get; } =
        [SpringFestival, LanternFestival, DragonBoat, Qixi, MidAutumn, DoubleNinth, NationalDay, NewYearsDay, Christmas];

    /// <summary>The festival of <paramref name="date"/>, or null on an ordinary day.</summary>
    public static Festival? On(DateOnly date)
    {
        var lunar = LunarDate.From(date);
        if (lunar is { IsLeapMonth: false } l)
        {
            switch (l.Month, l.Day)
            {
                case (1, 1): return SpringFestival;
                case (1, 15): return LanternFestival;
                case (5, 5): return DragonBoat;
                case (7, 7): return Qixi;
                case (8, 15): return MidAutumn;
                case (9, 9): return DoubleNinth;
            }
            if (IsSpringFestivalEve(date)) return SpringFestival;
        }
        switch (date.Month, date.Day)
        {
            case (1, 1): return NewYearsDay;
            case (10, 1): return NationalDay;
            case (12, 24) or (12, 25): return Christmas;
        }
        if (lunar is { IsLeapMonth: false, Month: 1, Day: <= 7 }) return SpringFestival;
        if (date.Month == 10 && date.Day <= 7) return NationalDay;
        return null;
    }

    /// <summary>Today's festival in the provider's local time zone, or <see cref="Everyday"/>.</summary>
    public static Festival Today(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return On(DateOnly.FromDateTime(time.GetLocalNow().DateTime)) ?? Everyday;
    }

    /// <summary>The festival with this <see cref="Festival.Id"/>, <see cref="Everyday"/> included.</summary>
    public static Festival? ById(string id) =>
        id == Everyday.Id ? Everyday : All.FirstOrDefault(f => string.Equals(f.Id, id, StringComparison.Ordinal));

    private static bool IsSpringFestivalEve(DateOnly date) =>
        date < DateOnly.MaxValue && LunarDate.From(date.AddDays(1)) is { Month: 1, Day: 1, IsLeapMonth: false };
}
