from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIRECTION_UNSPECIFIED: _ClassVar[Direction]
    DIRECTION_MINIMIZE: _ClassVar[Direction]
    DIRECTION_MAXIMIZE: _ClassVar[Direction]

class ComparisonOp(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPARISON_OP_UNSPECIFIED: _ClassVar[ComparisonOp]
    COMPARISON_OP_LESS_EQUAL: _ClassVar[ComparisonOp]
    COMPARISON_OP_GREATER_EQUAL: _ClassVar[ComparisonOp]

class TrialState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRIAL_STATE_UNSPECIFIED: _ClassVar[TrialState]
    TRIAL_STATE_RUNNING: _ClassVar[TrialState]
    TRIAL_STATE_COMPLETED: _ClassVar[TrialState]
    TRIAL_STATE_FAILED: _ClassVar[TrialState]
    TRIAL_STATE_INFEASIBLE: _ClassVar[TrialState]
    TRIAL_STATE_ABANDONED: _ClassVar[TrialState]
    TRIAL_STATE_PRUNED: _ClassVar[TrialState]
DIRECTION_UNSPECIFIED: Direction
DIRECTION_MINIMIZE: Direction
DIRECTION_MAXIMIZE: Direction
COMPARISON_OP_UNSPECIFIED: ComparisonOp
COMPARISON_OP_LESS_EQUAL: ComparisonOp
COMPARISON_OP_GREATER_EQUAL: ComparisonOp
TRIAL_STATE_UNSPECIFIED: TrialState
TRIAL_STATE_RUNNING: TrialState
TRIAL_STATE_COMPLETED: TrialState
TRIAL_STATE_FAILED: TrialState
TRIAL_STATE_INFEASIBLE: TrialState
TRIAL_STATE_ABANDONED: TrialState
TRIAL_STATE_PRUNED: TrialState

class Scalar(_message.Message):
    __slots__ = ("string_value", "int_value", "double_value", "bool_value")
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    INT_VALUE_FIELD_NUMBER: _ClassVar[int]
    DOUBLE_VALUE_FIELD_NUMBER: _ClassVar[int]
    BOOL_VALUE_FIELD_NUMBER: _ClassVar[int]
    string_value: str
    int_value: int
    double_value: float
    bool_value: bool
    def __init__(self, string_value: _Optional[str] = ..., int_value: _Optional[int] = ..., double_value: _Optional[float] = ..., bool_value: _Optional[bool] = ...) -> None: ...

class FloatParam(_message.Message):
    __slots__ = ("low", "high", "log")
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    low: float
    high: float
    log: bool
    def __init__(self, low: _Optional[float] = ..., high: _Optional[float] = ..., log: _Optional[bool] = ...) -> None: ...

class IntParam(_message.Message):
    __slots__ = ("low", "high", "log")
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    low: int
    high: int
    log: bool
    def __init__(self, low: _Optional[int] = ..., high: _Optional[int] = ..., log: _Optional[bool] = ...) -> None: ...

class CategoricalParam(_message.Message):
    __slots__ = ("choices",)
    CHOICES_FIELD_NUMBER: _ClassVar[int]
    choices: _containers.RepeatedCompositeFieldContainer[Scalar]
    def __init__(self, choices: _Optional[_Iterable[_Union[Scalar, _Mapping]]] = ...) -> None: ...

class OrdinalParam(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[Scalar]
    def __init__(self, values: _Optional[_Iterable[_Union[Scalar, _Mapping]]] = ...) -> None: ...

class Parameter(_message.Message):
    __slots__ = ("name", "float_param", "int_param", "categorical_param", "ordinal_param", "prior", "when")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FLOAT_PARAM_FIELD_NUMBER: _ClassVar[int]
    INT_PARAM_FIELD_NUMBER: _ClassVar[int]
    CATEGORICAL_PARAM_FIELD_NUMBER: _ClassVar[int]
    ORDINAL_PARAM_FIELD_NUMBER: _ClassVar[int]
    PRIOR_FIELD_NUMBER: _ClassVar[int]
    WHEN_FIELD_NUMBER: _ClassVar[int]
    name: str
    float_param: FloatParam
    int_param: IntParam
    categorical_param: CategoricalParam
    ordinal_param: OrdinalParam
    prior: ParameterPrior
    when: _containers.RepeatedCompositeFieldContainer[Condition]
    def __init__(self, name: _Optional[str] = ..., float_param: _Optional[_Union[FloatParam, _Mapping]] = ..., int_param: _Optional[_Union[IntParam, _Mapping]] = ..., categorical_param: _Optional[_Union[CategoricalParam, _Mapping]] = ..., ordinal_param: _Optional[_Union[OrdinalParam, _Mapping]] = ..., prior: _Optional[_Union[ParameterPrior, _Mapping]] = ..., when: _Optional[_Iterable[_Union[Condition, _Mapping]]] = ...) -> None: ...

class Condition(_message.Message):
    __slots__ = ("parameter", "values")
    PARAMETER_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    parameter: str
    values: _containers.RepeatedCompositeFieldContainer[Scalar]
    def __init__(self, parameter: _Optional[str] = ..., values: _Optional[_Iterable[_Union[Scalar, _Mapping]]] = ...) -> None: ...

class ParameterPrior(_message.Message):
    __slots__ = ("mean", "sd", "choice", "weight", "probs")
    MEAN_FIELD_NUMBER: _ClassVar[int]
    SD_FIELD_NUMBER: _ClassVar[int]
    CHOICE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    PROBS_FIELD_NUMBER: _ClassVar[int]
    mean: float
    sd: float
    choice: Scalar
    weight: float
    probs: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, mean: _Optional[float] = ..., sd: _Optional[float] = ..., choice: _Optional[_Union[Scalar, _Mapping]] = ..., weight: _Optional[float] = ..., probs: _Optional[_Iterable[float]] = ...) -> None: ...

class Statistic(_message.Message):
    __slots__ = ("name", "param")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARAM_FIELD_NUMBER: _ClassVar[int]
    name: str
    param: float
    def __init__(self, name: _Optional[str] = ..., param: _Optional[float] = ...) -> None: ...

class Objective(_message.Message):
    __slots__ = ("name", "direction", "statistic")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    STATISTIC_FIELD_NUMBER: _ClassVar[int]
    name: str
    direction: Direction
    statistic: Statistic
    def __init__(self, name: _Optional[str] = ..., direction: _Optional[_Union[Direction, str]] = ..., statistic: _Optional[_Union[Statistic, _Mapping]] = ...) -> None: ...

class Constraint(_message.Message):
    __slots__ = ("metric", "op", "bound", "statistic")
    METRIC_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    BOUND_FIELD_NUMBER: _ClassVar[int]
    STATISTIC_FIELD_NUMBER: _ClassVar[int]
    metric: str
    op: ComparisonOp
    bound: float
    statistic: Statistic
    def __init__(self, metric: _Optional[str] = ..., op: _Optional[_Union[ComparisonOp, str]] = ..., bound: _Optional[float] = ..., statistic: _Optional[_Union[Statistic, _Mapping]] = ...) -> None: ...

class StudySpec(_message.Message):
    __slots__ = ("space", "objectives", "constraints", "strategy", "strategy_options", "seed", "noisy", "pruner", "prior_studies", "parameter_constraints", "fidelity")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVES_FIELD_NUMBER: _ClassVar[int]
    CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    NOISY_FIELD_NUMBER: _ClassVar[int]
    PRUNER_FIELD_NUMBER: _ClassVar[int]
    PRIOR_STUDIES_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    FIDELITY_FIELD_NUMBER: _ClassVar[int]
    space: _containers.RepeatedCompositeFieldContainer[Parameter]
    objectives: _containers.RepeatedCompositeFieldContainer[Objective]
    constraints: _containers.RepeatedCompositeFieldContainer[Constraint]
    strategy: str
    strategy_options: _struct_pb2.Struct
    seed: int
    noisy: bool
    pruner: _struct_pb2.Struct
    prior_studies: _containers.RepeatedScalarFieldContainer[str]
    parameter_constraints: _containers.RepeatedScalarFieldContainer[str]
    fidelity: Fidelity
    def __init__(self, space: _Optional[_Iterable[_Union[Parameter, _Mapping]]] = ..., objectives: _Optional[_Iterable[_Union[Objective, _Mapping]]] = ..., constraints: _Optional[_Iterable[_Union[Constraint, _Mapping]]] = ..., strategy: _Optional[str] = ..., strategy_options: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., seed: _Optional[int] = ..., noisy: _Optional[bool] = ..., pruner: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., prior_studies: _Optional[_Iterable[str]] = ..., parameter_constraints: _Optional[_Iterable[str]] = ..., fidelity: _Optional[_Union[Fidelity, _Mapping]] = ...) -> None: ...

class Fidelity(_message.Message):
    __slots__ = ("name", "low", "high", "eta")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    ETA_FIELD_NUMBER: _ClassVar[int]
    name: str
    low: int
    high: int
    eta: int
    def __init__(self, name: _Optional[str] = ..., low: _Optional[int] = ..., high: _Optional[int] = ..., eta: _Optional[int] = ...) -> None: ...

class Study(_message.Message):
    __slots__ = ("name", "spec", "created_at", "trial_count", "queued_count")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    TRIAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    QUEUED_COUNT_FIELD_NUMBER: _ClassVar[int]
    name: str
    spec: StudySpec
    created_at: float
    trial_count: int
    queued_count: int
    def __init__(self, name: _Optional[str] = ..., spec: _Optional[_Union[StudySpec, _Mapping]] = ..., created_at: _Optional[float] = ..., trial_count: _Optional[int] = ..., queued_count: _Optional[int] = ...) -> None: ...

class Trial(_message.Message):
    __slots__ = ("id", "params", "state", "values", "value", "samples", "reason", "attrs", "retry_of", "client_id", "lease_expires_at", "created_at", "finished_at", "metric_samples")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Scalar
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Scalar, _Mapping]] = ...) -> None: ...
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class MetricSamplesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Replicates
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Replicates, _Mapping]] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ATTRS_FIELD_NUMBER: _ClassVar[int]
    RETRY_OF_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    LEASE_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    METRIC_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    id: int
    params: _containers.MessageMap[str, Scalar]
    state: TrialState
    values: _containers.ScalarMap[str, float]
    value: float
    samples: _containers.RepeatedScalarFieldContainer[float]
    reason: str
    attrs: _struct_pb2.Struct
    retry_of: int
    client_id: str
    lease_expires_at: float
    created_at: float
    finished_at: float
    metric_samples: _containers.MessageMap[str, Replicates]
    def __init__(self, id: _Optional[int] = ..., params: _Optional[_Mapping[str, Scalar]] = ..., state: _Optional[_Union[TrialState, str]] = ..., values: _Optional[_Mapping[str, float]] = ..., value: _Optional[float] = ..., samples: _Optional[_Iterable[float]] = ..., reason: _Optional[str] = ..., attrs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., retry_of: _Optional[int] = ..., client_id: _Optional[str] = ..., lease_expires_at: _Optional[float] = ..., created_at: _Optional[float] = ..., finished_at: _Optional[float] = ..., metric_samples: _Optional[_Mapping[str, Replicates]] = ...) -> None: ...

class Replicates(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, values: _Optional[_Iterable[float]] = ...) -> None: ...

class CreateStudyRequest(_message.Message):
    __slots__ = ("name", "spec")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    name: str
    spec: StudySpec
    def __init__(self, name: _Optional[str] = ..., spec: _Optional[_Union[StudySpec, _Mapping]] = ...) -> None: ...

class CreateStudyResponse(_message.Message):
    __slots__ = ("study", "created")
    STUDY_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    study: Study
    created: bool
    def __init__(self, study: _Optional[_Union[Study, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetStudyRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListStudiesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListStudiesResponse(_message.Message):
    __slots__ = ("studies",)
    STUDIES_FIELD_NUMBER: _ClassVar[int]
    studies: _containers.RepeatedCompositeFieldContainer[Study]
    def __init__(self, studies: _Optional[_Iterable[_Union[Study, _Mapping]]] = ...) -> None: ...

class DeleteStudyRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteStudyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AskRequest(_message.Message):
    __slots__ = ("study", "count", "client_id", "lease_seconds")
    STUDY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    LEASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    study: str
    count: int
    client_id: str
    lease_seconds: float
    def __init__(self, study: _Optional[str] = ..., count: _Optional[int] = ..., client_id: _Optional[str] = ..., lease_seconds: _Optional[float] = ...) -> None: ...

class AskResponse(_message.Message):
    __slots__ = ("trials",)
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    trials: _containers.RepeatedCompositeFieldContainer[Trial]
    def __init__(self, trials: _Optional[_Iterable[_Union[Trial, _Mapping]]] = ...) -> None: ...

class TellRequest(_message.Message):
    __slots__ = ("study", "trial_id", "request_id", "value", "values", "samples", "failed", "infeasible", "reason", "pruned", "metric_samples")
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class MetricSamplesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Replicates
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Replicates, _Mapping]] = ...) -> None: ...
    STUDY_FIELD_NUMBER: _ClassVar[int]
    TRIAL_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    INFEASIBLE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PRUNED_FIELD_NUMBER: _ClassVar[int]
    METRIC_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    study: str
    trial_id: int
    request_id: str
    value: float
    values: _containers.ScalarMap[str, float]
    samples: _containers.RepeatedScalarFieldContainer[float]
    failed: bool
    infeasible: bool
    reason: str
    pruned: bool
    metric_samples: _containers.MessageMap[str, Replicates]
    def __init__(self, study: _Optional[str] = ..., trial_id: _Optional[int] = ..., request_id: _Optional[str] = ..., value: _Optional[float] = ..., values: _Optional[_Mapping[str, float]] = ..., samples: _Optional[_Iterable[float]] = ..., failed: _Optional[bool] = ..., infeasible: _Optional[bool] = ..., reason: _Optional[str] = ..., pruned: _Optional[bool] = ..., metric_samples: _Optional[_Mapping[str, Replicates]] = ...) -> None: ...

class TellResponse(_message.Message):
    __slots__ = ("trial",)
    TRIAL_FIELD_NUMBER: _ClassVar[int]
    trial: Trial
    def __init__(self, trial: _Optional[_Union[Trial, _Mapping]] = ...) -> None: ...

class HeartbeatRequest(_message.Message):
    __slots__ = ("study", "trial_ids", "lease_seconds")
    STUDY_FIELD_NUMBER: _ClassVar[int]
    TRIAL_IDS_FIELD_NUMBER: _ClassVar[int]
    LEASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    study: str
    trial_ids: _containers.RepeatedScalarFieldContainer[int]
    lease_seconds: float
    def __init__(self, study: _Optional[str] = ..., trial_ids: _Optional[_Iterable[int]] = ..., lease_seconds: _Optional[float] = ...) -> None: ...

class HeartbeatResponse(_message.Message):
    __slots__ = ("extended",)
    EXTENDED_FIELD_NUMBER: _ClassVar[int]
    extended: int
    def __init__(self, extended: _Optional[int] = ...) -> None: ...

class ListTrialsRequest(_message.Message):
    __slots__ = ("study", "since", "page_size", "page_token", "states")
    STUDY_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    study: str
    since: int
    page_size: int
    page_token: str
    states: _containers.RepeatedScalarFieldContainer[TrialState]
    def __init__(self, study: _Optional[str] = ..., since: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., states: _Optional[_Iterable[_Union[TrialState, str]]] = ...) -> None: ...

class ListTrialsResponse(_message.Message):
    __slots__ = ("trials", "next_page_token")
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    trials: _containers.RepeatedCompositeFieldContainer[Trial]
    next_page_token: str
    def __init__(self, trials: _Optional[_Iterable[_Union[Trial, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetBestRequest(_message.Message):
    __slots__ = ("study",)
    STUDY_FIELD_NUMBER: _ClassVar[int]
    study: str
    def __init__(self, study: _Optional[str] = ...) -> None: ...

class GetBestResponse(_message.Message):
    __slots__ = ("trials",)
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    trials: _containers.RepeatedCompositeFieldContainer[Trial]
    def __init__(self, trials: _Optional[_Iterable[_Union[Trial, _Mapping]]] = ...) -> None: ...

class ReportRequest(_message.Message):
    __slots__ = ("study", "trial_id", "step", "value", "request_id")
    STUDY_FIELD_NUMBER: _ClassVar[int]
    TRIAL_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    study: str
    trial_id: int
    step: int
    value: float
    request_id: str
    def __init__(self, study: _Optional[str] = ..., trial_id: _Optional[int] = ..., step: _Optional[int] = ..., value: _Optional[float] = ..., request_id: _Optional[str] = ...) -> None: ...

class TrialReport(_message.Message):
    __slots__ = ("trial_id", "step", "value", "reported_at", "seq")
    TRIAL_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    trial_id: int
    step: int
    value: float
    reported_at: float
    seq: int
    def __init__(self, trial_id: _Optional[int] = ..., step: _Optional[int] = ..., value: _Optional[float] = ..., reported_at: _Optional[float] = ..., seq: _Optional[int] = ...) -> None: ...

class ReportResponse(_message.Message):
    __slots__ = ("should_prune", "report")
    SHOULD_PRUNE_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    should_prune: bool
    report: TrialReport
    def __init__(self, should_prune: _Optional[bool] = ..., report: _Optional[_Union[TrialReport, _Mapping]] = ...) -> None: ...

class Point(_message.Message):
    __slots__ = ("params",)
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Scalar
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Scalar, _Mapping]] = ...) -> None: ...
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    params: _containers.MessageMap[str, Scalar]
    def __init__(self, params: _Optional[_Mapping[str, Scalar]] = ...) -> None: ...

class EnqueueRequest(_message.Message):
    __slots__ = ("study", "points", "skip_if_exists", "attrs", "request_id")
    STUDY_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    SKIP_IF_EXISTS_FIELD_NUMBER: _ClassVar[int]
    ATTRS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    study: str
    points: _containers.RepeatedCompositeFieldContainer[Point]
    skip_if_exists: bool
    attrs: _struct_pb2.Struct
    request_id: str
    def __init__(self, study: _Optional[str] = ..., points: _Optional[_Iterable[_Union[Point, _Mapping]]] = ..., skip_if_exists: _Optional[bool] = ..., attrs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class EnqueueResponse(_message.Message):
    __slots__ = ("added", "queued_count")
    ADDED_FIELD_NUMBER: _ClassVar[int]
    QUEUED_COUNT_FIELD_NUMBER: _ClassVar[int]
    added: int
    queued_count: int
    def __init__(self, added: _Optional[int] = ..., queued_count: _Optional[int] = ...) -> None: ...

class EditSpaceRequest(_message.Message):
    __slots__ = ("study", "space", "parameter_constraints", "defaults")
    class DefaultsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Scalar
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Scalar, _Mapping]] = ...) -> None: ...
    STUDY_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    DEFAULTS_FIELD_NUMBER: _ClassVar[int]
    study: str
    space: _containers.RepeatedCompositeFieldContainer[Parameter]
    parameter_constraints: _containers.RepeatedScalarFieldContainer[str]
    defaults: _containers.MessageMap[str, Scalar]
    def __init__(self, study: _Optional[str] = ..., space: _Optional[_Iterable[_Union[Parameter, _Mapping]]] = ..., parameter_constraints: _Optional[_Iterable[str]] = ..., defaults: _Optional[_Mapping[str, Scalar]] = ...) -> None: ...

class SpaceEdit(_message.Message):
    __slots__ = ("id", "created_at", "changes", "defaults")
    class DefaultsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Scalar
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Scalar, _Mapping]] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    DEFAULTS_FIELD_NUMBER: _ClassVar[int]
    id: int
    created_at: float
    changes: _containers.RepeatedScalarFieldContainer[str]
    defaults: _containers.MessageMap[str, Scalar]
    def __init__(self, id: _Optional[int] = ..., created_at: _Optional[float] = ..., changes: _Optional[_Iterable[str]] = ..., defaults: _Optional[_Mapping[str, Scalar]] = ...) -> None: ...

class EditSpaceResponse(_message.Message):
    __slots__ = ("edited", "study", "edit")
    EDITED_FIELD_NUMBER: _ClassVar[int]
    STUDY_FIELD_NUMBER: _ClassVar[int]
    EDIT_FIELD_NUMBER: _ClassVar[int]
    edited: bool
    study: Study
    edit: SpaceEdit
    def __init__(self, edited: _Optional[bool] = ..., study: _Optional[_Union[Study, _Mapping]] = ..., edit: _Optional[_Union[SpaceEdit, _Mapping]] = ...) -> None: ...
