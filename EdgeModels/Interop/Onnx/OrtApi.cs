using System.Runtime.InteropServices;

namespace Edge.Models.Interop.Onnx;

/// <summary>
/// <c>OrtApiBase</c>: the struct <c>OrtGetApiBase()</c> returns (onnxruntime_c_api.h).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct OrtApiBase
{
    public delegate* unmanaged<uint /* version */, OrtApi* /* const OrtApi* */> GetApi;
    public delegate* unmanaged<byte* /* const char* */> GetVersionString;
}

/// <summary>
/// The slots of the <c>OrtApi</c> function table we call, each at <c>slot × sizeof(void*)</c>;
/// slot numbers follow the header order (see shared/reference/ort-api-v30-slots.txt). The table
/// is ORT's own static memory, read in place through an <c>OrtApi*</c>. 64-bit processes only.
/// Every function returning <c>OrtStatus*</c> (nint here) goes through <see cref="Ort.ThrowIfFailed"/>.
/// </summary>
[StructLayout(LayoutKind.Explicit)]
internal unsafe struct OrtApi
{
    private const int P = 8; // sizeof(void*) on linux-x64 / linux-arm64

    // OrtErrorCode GetErrorCode(const OrtStatus* status)
    [FieldOffset(1 * P)] public delegate* unmanaged<nint, int> GetErrorCode;
    // const char* GetErrorMessage(const OrtStatus* status)
    [FieldOffset(2 * P)] public delegate* unmanaged<nint, byte*> GetErrorMessage;
    // OrtStatus* CreateEnv(OrtLoggingLevel log_severity_level, const char* logid, OrtEnv** out)
    [FieldOffset(3 * P)] public delegate* unmanaged<int, byte*, nint*, nint> CreateEnv;
    // OrtStatus* CreateSession(const OrtEnv* env, const ORTCHAR_T* model_path, const OrtSessionOptions* options, OrtSession** out)
    [FieldOffset(7 * P)] public delegate* unmanaged<nint, byte*, nint, nint*, nint> CreateSession;
    // OrtStatus* Run(OrtSession* session, const OrtRunOptions* run_options, const char* const* input_names,
    //                const OrtValue* const* inputs, size_t input_len, const char* const* output_names,
    //                size_t output_names_len, OrtValue** outputs)
    [FieldOffset(9 * P)] public delegate* unmanaged<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint> Run;
    // OrtStatus* CreateSessionOptions(OrtSessionOptions** options)
    [FieldOffset(10 * P)] public delegate* unmanaged<nint*, nint> CreateSessionOptions;
    // OrtStatus* SetOptimizedModelFilePath(OrtSessionOptions* options, const ORTCHAR_T* optimized_model_filepath)
    [FieldOffset(11 * P)] public delegate* unmanaged<nint, byte*, nint> SetOptimizedModelFilePath;
    // OrtStatus* SetSessionExecutionMode(OrtSessionOptions* options, ExecutionMode execution_mode)
    [FieldOffset(13 * P)] public delegate* unmanaged<nint, int, nint> SetSessionExecutionMode;
    // OrtStatus* DisableMemPattern(OrtSessionOptions* options)
    [FieldOffset(17 * P)] public delegate* unmanaged<nint, nint> DisableMemPattern;
    // OrtStatus* DisableCpuMemArena(OrtSessionOptions* options)
    [FieldOffset(19 * P)] public delegate* unmanaged<nint, nint> DisableCpuMemArena;
    // OrtStatus* SetSessionGraphOptimizationLevel(OrtSessionOptions* options, GraphOptimizationLevel graph_optimization_level)
    [FieldOffset(23 * P)] public delegate* unmanaged<nint, int, nint> SetSessionGraphOptimizationLevel;
    // OrtStatus* SetIntraOpNumThreads(OrtSessionOptions* options, int intra_op_num_threads)
    [FieldOffset(24 * P)] public delegate* unmanaged<nint, int, nint> SetIntraOpNumThreads;
    // OrtStatus* SetInterOpNumThreads(OrtSessionOptions* options, int inter_op_num_threads)
    [FieldOffset(25 * P)] public delegate* unmanaged<nint, int, nint> SetInterOpNumThreads;
    // OrtStatus* SessionGetInputCount(const OrtSession* session, size_t* out)
    [FieldOffset(30 * P)] public delegate* unmanaged<nint, nuint*, nint> SessionGetInputCount;
    // OrtStatus* SessionGetOutputCount(const OrtSession* session, size_t* out)
    [FieldOffset(31 * P)] public delegate* unmanaged<nint, nuint*, nint> SessionGetOutputCount;
    // OrtStatus* SessionGetInputTypeInfo(const OrtSession* session, size_t index, OrtTypeInfo** type_info)
    [FieldOffset(33 * P)] public delegate* unmanaged<nint, nuint, nint*, nint> SessionGetInputTypeInfo;
    // OrtStatus* SessionGetOutputTypeInfo(const OrtSession* session, size_t index, OrtTypeInfo** type_info)
    [FieldOffset(34 * P)] public delegate* unmanaged<nint, nuint, nint*, nint> SessionGetOutputTypeInfo;
    // OrtStatus* SessionGetInputName(const OrtSession* session, size_t index, OrtAllocator* allocator, char** value)
    [FieldOffset(36 * P)] public delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetInputName;
    // OrtStatus* SessionGetOutputName(const OrtSession* session, size_t index, OrtAllocator* allocator, char** value)
    [FieldOffset(37 * P)] public delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetOutputName;
    // OrtStatus* CreateTensorWithDataAsOrtValue(const OrtMemoryInfo* info, void* p_data, size_t p_data_len,
    //                                           const int64_t* shape, size_t shape_len, ONNXTensorElementDataType type, OrtValue** out)
    [FieldOffset(49 * P)] public delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint> CreateTensorWithDataAsOrtValue;
    // OrtStatus* GetTensorMutableData(OrtValue* value, void** out)
    [FieldOffset(51 * P)] public delegate* unmanaged<nint, void**, nint> GetTensorMutableData;
    // OrtStatus* CastTypeInfoToTensorInfo(const OrtTypeInfo* type_info, const OrtTensorTypeAndShapeInfo** out)
    [FieldOffset(55 * P)] public delegate* unmanaged<nint, nint*, nint> CastTypeInfoToTensorInfo;
    // OrtStatus* GetOnnxTypeFromTypeInfo(const OrtTypeInfo* type_info, enum ONNXType* out)
    [FieldOffset(56 * P)] public delegate* unmanaged<nint, int*, nint> GetOnnxTypeFromTypeInfo;
    // OrtStatus* GetTensorElementType(const OrtTensorTypeAndShapeInfo* info, enum ONNXTensorElementDataType* out)
    [FieldOffset(60 * P)] public delegate* unmanaged<nint, int*, nint> GetTensorElementType;
    // OrtStatus* GetDimensionsCount(const OrtTensorTypeAndShapeInfo* info, size_t* out)
    [FieldOffset(61 * P)] public delegate* unmanaged<nint, nuint*, nint> GetDimensionsCount;
    // OrtStatus* GetDimensions(const OrtTensorTypeAndShapeInfo* info, int64_t* dim_values, size_t dim_values_length)
    [FieldOffset(62 * P)] public delegate* unmanaged<nint, long*, nuint, nint> GetDimensions;
    // OrtStatus* GetSymbolicDimensions(const OrtTensorTypeAndShapeInfo* info, const char* dim_params[], size_t dim_params_length)
    [FieldOffset(63 * P)] public delegate* unmanaged<nint, byte**, nuint, nint> GetSymbolicDimensions;
    // OrtStatus* GetTensorTypeAndShape(const OrtValue* value, OrtTensorTypeAndShapeInfo** out)
    [FieldOffset(65 * P)] public delegate* unmanaged<nint, nint*, nint> GetTensorTypeAndShape;
    // OrtStatus* CreateCpuMemoryInfo(enum OrtAllocatorType type, enum OrtMemType mem_type, OrtMemoryInfo** out)
    [FieldOffset(69 * P)] public delegate* unmanaged<int, int, nint*, nint> CreateCpuMemoryInfo;
    // OrtStatus* AllocatorFree(OrtAllocator* ort_allocator, void* p)
    [FieldOffset(76 * P)] public delegate* unmanaged<nint, void*, nint> AllocatorFree;
    // OrtStatus* GetAllocatorWithDefaultOptions(OrtAllocator** out)
    [FieldOffset(78 * P)] public delegate* unmanaged<nint*, nint> GetAllocatorWithDefaultOptions;
    // void ReleaseEnv(OrtEnv* input)
    [FieldOffset(92 * P)] public delegate* unmanaged<nint, void> ReleaseEnv;
    // void ReleaseStatus(OrtStatus* input)
    [FieldOffset(93 * P)] public delegate* unmanaged<nint, void> ReleaseStatus;
    // void ReleaseMemoryInfo(OrtMemoryInfo* input)
    [FieldOffset(94 * P)] public delegate* unmanaged<nint, void> ReleaseMemoryInfo;
    // void ReleaseSession(OrtSession* input)
    [FieldOffset(95 * P)] public delegate* unmanaged<nint, void> ReleaseSession;
    // void ReleaseValue(OrtValue* input)
    [FieldOffset(96 * P)] public delegate* unmanaged<nint, void> ReleaseValue;
    // void ReleaseTypeInfo(OrtTypeInfo* input)
    [FieldOffset(98 * P)] public delegate* unmanaged<nint, void> ReleaseTypeInfo;
    // void ReleaseTensorTypeAndShapeInfo(OrtTensorTypeAndShapeInfo* input)
    [FieldOffset(99 * P)] public delegate* unmanaged<nint, void> ReleaseTensorTypeAndShapeInfo;
    // void ReleaseSessionOptions(OrtSessionOptions* input)
    [FieldOffset(100 * P)] public delegate* unmanaged<nint, void> ReleaseSessionOptions;
    // OrtStatus* SessionGetModelMetadata(const OrtSession* session, OrtModelMetadata** out)
    [FieldOffset(111 * P)] public delegate* unmanaged<nint, nint*, nint> SessionGetModelMetadata;
    // OrtStatus* ModelMetadataLookupCustomMetadataMap(const OrtModelMetadata* model_metadata, OrtAllocator* allocator,
    //                                                 const char* key, char** value)
    [FieldOffset(116 * P)] public delegate* unmanaged<nint, nint, byte*, byte**, nint> ModelMetadataLookupCustomMetadataMap;
    // void ReleaseModelMetadata(OrtModelMetadata* input)
    [FieldOffset(118 * P)] public delegate* unmanaged<nint, void> ReleaseModelMetadata;
    // OrtStatus* ModelMetadataGetCustomMetadataMapKeys(const OrtModelMetadata* model_metadata, OrtAllocator* allocator,
    //                                                  char*** keys, int64_t* num_keys)
    [FieldOffset(123 * P)] public delegate* unmanaged<nint, nint, byte***, long*, nint> ModelMetadataGetCustomMetadataMapKeys;
    // OrtStatus* GetAvailableProviders(char*** out_ptr, int* provider_length)
    [FieldOffset(125 * P)] public delegate* unmanaged<byte***, int*, nint> GetAvailableProviders;
    // OrtStatus* ReleaseAvailableProviders(char** ptr, int providers_length)
    [FieldOffset(126 * P)] public delegate* unmanaged<byte**, int, nint> ReleaseAvailableProviders;
    // OrtStatus* AddSessionConfigEntry(OrtSessionOptions* options, const char* config_key, const char* config_value)
    [FieldOffset(130 * P)] public delegate* unmanaged<nint, byte*, byte*, nint> AddSessionConfigEntry;
    // OrtStatus* SessionOptionsAppendExecutionProvider_TensorRT_V2(OrtSessionOptions* options, const OrtTensorRTProviderOptionsV2* tensorrt_options)
    [FieldOffset(170 * P)] public delegate* unmanaged<nint, nint, nint> SessionOptionsAppendExecutionProvider_TensorRT_V2;
    // OrtStatus* CreateTensorRTProviderOptions(OrtTensorRTProviderOptionsV2** out)
    [FieldOffset(171 * P)] public delegate* unmanaged<nint*, nint> CreateTensorRTProviderOptions;
    // OrtStatus* UpdateTensorRTProviderOptions(OrtTensorRTProviderOptionsV2* tensorrt_options, const char* const* provider_options_keys,
    //                                          const char* const* provider_options_values, size_t num_keys)
    [FieldOffset(172 * P)] public delegate* unmanaged<nint, byte**, byte**, nuint, nint> UpdateTensorRTProviderOptions;
    // void ReleaseTensorRTProviderOptions(OrtTensorRTProviderOptionsV2* input)
    [FieldOffset(174 * P)] public delegate* unmanaged<nint, void> ReleaseTensorRTProviderOptions;
    // OrtStatus* SessionOptionsAppendExecutionProvider_CUDA_V2(OrtSessionOptions* options, const OrtCUDAProviderOptionsV2* cuda_options)
    [FieldOffset(204 * P)] public delegate* unmanaged<nint, nint, nint> SessionOptionsAppendExecutionProvider_CUDA_V2;
    // OrtStatus* CreateCUDAProviderOptions(OrtCUDAProviderOptionsV2** out)
    [FieldOffset(205 * P)] public delegate* unmanaged<nint*, nint> CreateCUDAProviderOptions;
    // OrtStatus* UpdateCUDAProviderOptions(OrtCUDAProviderOptionsV2* cuda_options, const char* const* provider_options_keys,
    //                                      const char* const* provider_options_values, size_t num_keys)
    [FieldOffset(206 * P)] public delegate* unmanaged<nint, byte**, byte**, nuint, nint> UpdateCUDAProviderOptions;
    // void ReleaseCUDAProviderOptions(OrtCUDAProviderOptionsV2* input)
    [FieldOffset(208 * P)] public delegate* unmanaged<nint, void> ReleaseCUDAProviderOptions;
    // OrtStatus* CreateAndRegisterAllocator(OrtEnv* env, const OrtMemoryInfo* mem_info, const OrtArenaCfg* arena_cfg)
    [FieldOffset(144 * P)] public delegate* unmanaged<nint, nint, nint, nint> CreateAndRegisterAllocator;
    // void ReleaseArenaCfg(OrtArenaCfg*)
    [FieldOffset(157 * P)] public delegate* unmanaged<nint, void> ReleaseArenaCfg;
    // OrtStatus* CreateArenaCfgV2(const char* const* arena_config_keys, const size_t* arena_config_values, size_t num_keys, OrtArenaCfg** out)
    [FieldOffset(164 * P)] public delegate* unmanaged<byte**, nuint*, nuint, nint*, nint> CreateArenaCfgV2;
    // const char* GetBuildInfoString(void)
    [FieldOffset(254 * P)] public delegate* unmanaged<byte*> GetBuildInfoString;
}

/// <summary>C enum values from onnxruntime_c_api.h that the binding passes in.</summary>
internal static class OrtConst
{
    public const uint ApiVersion = 30;
    public const int LoggingLevelWarning = 2;     // ORT_LOGGING_LEVEL_WARNING
    public const int ExecutionModeSequential = 0; // ORT_SEQUENTIAL
    public const int ArenaAllocator = 1;          // OrtArenaAllocator
    public const int MemTypeDefault = 0;          // OrtMemTypeDefault
    public const int OnnxTypeTensor = 1;          // ONNX_TYPE_TENSOR
}
