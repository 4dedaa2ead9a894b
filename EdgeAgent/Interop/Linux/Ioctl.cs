namespace Edge.Agent.Interop.Linux;

/// <summary>The asm-generic _IOC encoding (arm, arm64, x86): dir[31:30] size[29:16] type[15:8] nr[7:0].</summary>
internal static class Ioctl
{
    private const int NrShift = 0, TypeShift = 8, SizeShift = 16, DirShift = 30;
    private const uint None = 0, Write = 1, Read = 2;
    private const int SizeBits = 14;

    public static nuint IOC(uint dir, uint type, uint nr, int size)
    {
        if ((uint)size >= 1u << SizeBits)
            throw new ArgumentOutOfRangeException(nameof(size), size, "an ioctl argument must be smaller than 16 KiB");
        return (nuint)((dir << DirShift) | ((uint)size << SizeShift) | (type << TypeShift) | (nr << NrShift));
    }

    public static nuint IO(uint type, uint nr) => IOC(None, type, nr, 0);
    public static nuint IOR(uint type, uint nr, int size) => IOC(Read, type, nr, size);
    public static nuint IOW(uint type, uint nr, int size) => IOC(Write, type, nr, size);
    public static nuint IOWR(uint type, uint nr, int size) => IOC(Read | Write, type, nr, size);
}
