namespace Edge.Models.Text;

/// <summary>The typefaces the kiosk prints and reads.</summary>
public enum FontStyle
{
    /// <summary>WenQuanYi Micro Hei (Debian <c>fonts-wqy-microhei</c>): the default CJK + Latin sans serif.</summary>
    Sans,

    /// <summary>AR PL UKai CN (Debian <c>fonts-arphic-ukai</c>): Kai brush style, for calligraphy-like cards.</summary>
    Kai,
}
