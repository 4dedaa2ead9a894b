using System.Runtime.InteropServices;

namespace Edge.Agent.Interop.Linux;

#pragma warning disable IDE1006 // C names, as in <linux/i2c-dev.h> and <linux/i2c.h>

internal static class I2cDevUapi
{
    /// <summary>Use this slave address (fails with EBUSY when a kernel driver owns it).</summary>
    public const nuint I2C_SLAVE = 0x0703;
    /// <summary>Combined read/write transfer, one STOP at the end.</summary>
    public const nuint I2C_RDWR = 0x0707;
    /// <summary>i2c_msg.flags: this segment reads from the device.</summary>
    public const ushort I2C_M_RD = 0x0001;
}

/// <summary>struct i2c_msg (16 bytes on 64-bit: three __u16, padding, a pointer).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct i2c_msg
{
    public ushort addr;
    public ushort flags;
    public ushort len;
    public nint buf;
}

/// <summary>struct i2c_rdwr_ioctl_data.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct i2c_rdwr_ioctl_data
{
    public nint msgs;
    public uint nmsgs;
}
