using Edge.Agent.Kiosk.Festivals;
using Edge.Models.Text;

namespace Edge.Agent.Tests.Kiosk;

public class FestivalCalendarTests
{
    private static DateOnly D(string iso) => DateOnly.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    private sealed class FixedTime(DateTimeOffset now, TimeZoneInfo zone) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();
        public override TimeZoneInfo LocalTimeZone => zone;
    }

    [Theory]
    [InlineData("2025-01-29", "spring-festival")]
    [InlineData("2026-02-17", "spring-festival")]
    [InlineData("2027-02-06", "spring-festival")]
    [InlineData("2026-03-03", "lantern-festival")]
    [InlineData("2025-05-31", "dragon-boat")]
    [InlineData("2026-06-19", "dragon-boat")]
    [InlineData("2025-08-29", "qixi")]
    [InlineData("2025-10-06", "mid-autumn")]
    [InlineData("2026-09-25", "mid-autumn")]
    [InlineData("2023-09-29", "mid-autumn")]
    [InlineData("2025-10-29", "double-ninth")]
    [InlineData("2026-01-01", "new-years-day")]
    [InlineData("2025-10-01", "national-day")]
    [InlineData("2025-12-24", "christmas")]
    [InlineData("2025-12-25", "christmas")]
    public void Known_festival_days_are_recognised(string date, string id)
    {
        Assert.Equal(id, FestivalCalendar.On(D(date))?.Id);
    }

    [Theory]
    [InlineData("2025-03-12")]
    [InlineData("2025-12-26")]
    [InlineData("2026-10-08")]
    [InlineData("2025-02-05")]   // 正月初八: the Spring Festival week is over
    [InlineData("2025-01-27")]   // 腊月廿八: not yet the eve
    public void An_ordinary_day_has_no_festival(string date)
    {
        Assert.Null(FestivalCalendar.On(D(date)));
    }

    [Theory]
    [InlineData("2025-01-28")]   // 除夕 (腊月廿九, a 29-day month)
    [InlineData("2025-02-04")]   // 正月初七
    [InlineData("2026-02-16")]   // 除夕 after a year with a leap month: GetMonth says 13
    [InlineData("2026-02-23")]   // 正月初七
    public void The_Spring_Festival_card_runs_from_new_years_eve_to_the_seventh_day(string date)
    {
        Assert.Equal("spring-festival", FestivalCalendar.On(D(date))?.Id);
    }

    [Theory]
    [InlineData("2020-10-01", "mid-autumn")]     // Mid-Autumn on National Day itself
    [InlineData("2025-10-06", "mid-autumn")]     // inside Golden Week
    [InlineData("2014-10-02", "double-ninth")]   // Double Ninth inside Golden Week
    [InlineData("2025-10-05", "national-day")]
    [InlineData("2025-10-07", "national-day")]
    public void A_lunar_festival_day_takes_precedence_over_golden_week(string date, string id)
    {
        Assert.Equal(id, FestivalCalendar.On(D(date))?.Id);
    }

    [Fact]
    public void Months_after_a_leap_month_keep_their_names()
    {
        // 2025 has a leap 6th month: ChineseLunisolarCalendar numbers it 7 and the 7th month 8.
        Assert.Equal(new LunarDate(2025, 6, 1, true), LunarDate.From(D("2025-07-25")));
        Assert.Equal(new LunarDate(2025, 7, 7, false), LunarDate.From(D("2025-08-29")));
        Assert.Equal(new LunarDate(2025, 8, 15, false), LunarDate.From(D("2025-10-06")));
        // 2023 has a leap 2nd month.
        Assert.Equal(new LunarDate(2023, 2, 1, true), LunarDate.From(D("2023-03-22")));
        Assert.Equal(new LunarDate(2023, 3, 1, false), LunarDate.From(D("2023-04-20")));
        Assert.Equal(new LunarDate(2023, 8, 15, false), LunarDate.From(D("2023-09-29")));
    }

    [Fact]
    public void A_day_in_a_leap_month_is_not_its_namesakes_festival()
    {
        // 2025-08-01 is 闰六月初八; 2025-07-31 is 闰六月初七, not Qixi (七月初七 is 2025-08-29).
        var leap = LunarDate.From(D("2025-07-31"));
        Assert.Equal(new LunarDate(2025, 6, 7, true), leap);
        Assert.Null(FestivalCalendar.On(D("2025-07-31")));
    }

    [Theory]
    [InlineData("2025-10-06", "乙巳年 八月十五")]
    [InlineData("2025-01-29", "乙巳年 正月初一")]
    [InlineData("2025-01-28", "甲辰年 腊月廿九")]
    [InlineData("2025-07-25", "乙巳年 闰六月初一")]
    [InlineData("2026-02-17", "丙午年 正月初一")]
    [InlineData("2026-03-03", "丙午年 正月十五")]
    [InlineData("2023-09-29", "癸卯年 八月十五")]
    [InlineData("2025-12-20", "乙巳年 冬月初一")]
    public void The_lunar_date_is_written_the_Chinese_way(string date, string expected)
    {
        Assert.Equal(expected, LunarDate.From(D(date))!.Value.ToChinese());
    }

    [Fact]
    public void Dates_outside_the_lunar_calendar_still_find_gregorian_festivals()
    {
        Assert.Null(LunarDate.From(new DateOnly(1800, 1, 1)));
        Assert.Equal("new-years-day", FestivalCalendar.On(new DateOnly(1800, 1, 1))?.Id);
        Assert.Null(FestivalCalendar.On(new DateOnly(2200, 3, 3)));
    }

    [Fact]
    public void Today_uses_the_local_date_of_the_time_provider()
    {
        // 2025-10-05 20:00 UTC is already Oct 6 (Mid-Autumn) in Shanghai.
        var shanghai = TimeZoneInfo.CreateCustomTimeZone("UTC+8", TimeSpan.FromHours(8), "UTC+8", "UTC+8");
        var now = new DateTimeOffset(2025, 10, 5, 20, 0, 0, TimeSpan.Zero);
        Assert.Equal("mid-autumn", FestivalCalendar.Today(new FixedTime(now, shanghai)).Id);
        Assert.Equal("national-day", FestivalCalendar.Today(new FixedTime(now, TimeZoneInfo.Utc)).Id);
    }

    [Fact]
    public void An_ordinary_today_gets_the_everyday_card()
    {
        var now = new DateTimeOffset(2025, 3, 12, 9, 0, 0, TimeSpan.Zero);
        Assert.Same(FestivalCalendar.Everyday, FestivalCalendar.Today(new FixedTime(now, TimeZoneInfo.Utc)));
    }

    [Fact]
    public void Every_festival_has_blessings_in_both_languages_and_traditional_ones_a_brush_title()
    {
        foreach (var festival in FestivalCalendar.All.Append(FestivalCalendar.Everyday))
        {
            Assert.NotEmpty(festival.Blessings);
            Assert.All(festival.Blessings, b => Assert.False(string.IsNullOrWhiteSpace(b.Chinese) || string.IsNullOrWhiteSpace(b.English), festival.Id));
            Assert.Same(festival, FestivalCalendar.ById(festival.Id));
        }
        foreach (var traditional in new[] { FestivalCalendar.SpringFestival, FestivalCalendar.MidAutumn, FestivalCalendar.DragonBoat, FestivalCalendar.DoubleNinth })
            Assert.Equal(FontStyle.Kai, traditional.Design.TitleStyle);
        Assert.NotNull(FestivalCalendar.SpringFestival.Design.Couplet);
        Assert.Equal(FestivalCalendar.All.Count, FestivalCalendar.All.Select(f => f.Id).Distinct().Count());
    }
}
