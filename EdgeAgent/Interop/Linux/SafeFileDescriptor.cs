using Microsoft.Win32.SafeHandles;

namespace Edge.Agent.Interop.Linux;

/// <summary>An owned Linux file descriptor (a /dev node or a GPIO line request), closed exactly once.</summary>
internal sealed class SafeFileDescriptor : SafeHandleMinusOneIsInvalid
{
    public SafeFileDescriptor() : base(ownsHandle: true) { }

    /// <summary>Takes ownership of a descriptor the kernel returned inside a struct (gpio_v2_line_request.fd).</summary>
    public SafeFileDescriptor(int fd) : base(ownsHandle: true) => SetHandle(fd);

    protected override bool ReleaseHandle() => Libc.close((int)handle) == 0;
}
