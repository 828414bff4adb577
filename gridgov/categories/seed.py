"""The seed classification: 8 major classes and their minor classes, with time limits.

The major classes follow one Binhai sub-district's published scheme (DOMAIN.md §1): traffic
order, public safety, public facilities, greenery, city appearance, civic behaviour, resident
visits, environmental protection. The traffic order class has the code ``parking`` because
parking makes up most of it and ``parking.minor`` / ``parking.long_term`` are the codes the
rest of the system and its documents use.

Names, conditions and departments are data an installation can change in the admin;
``seed_categories`` only creates what is missing unless ``update=True``. Department codes are
listed once, in :data:`SEED_DEPARTMENTS`, so an installation can create them (the demo loader
does) or map them onto its own codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from django.db import transaction

from gridgov.people.models import Department, DepartmentKind
from gridgov.people.selectors import department_by_code

from .models import Category, Stage, TimeUnit, Urgency
from .services import TimeLimitSpec, category_save

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@dataclass(frozen=True)
class SeedDepartment:
    code: str
    name: str
    kind: str
    phone: str = ""


# Every department code the seed refers to, in display order.
SEED_DEPARTMENTS: Final[tuple[SeedDepartment, ...]] = (
    # Town offices.
    SeedDepartment("urban_mgmt", "镇综合行政执法大队（城管）", DepartmentKind.TOWN_OFFICE),
    SeedDepartment("safety", "平安建设办公室（综治办）", DepartmentKind.TOWN_OFFICE),
    SeedDepartment("emergency", "应急管理办公室", DepartmentKind.TOWN_OFFICE),
    SeedDepartment("planning", "规划建设办公室", DepartmentKind.TOWN_OFFICE),
    SeedDepartment("environment", "生态环境办公室", DepartmentKind.TOWN_OFFICE),
    SeedDepartment("agriculture", "农业农村办公室", DepartmentKind.TOWN_OFFICE),
    SeedDepartment("social_affairs", "社会事务办公室", DepartmentKind.TOWN_OFFICE),
    SeedDepartment("petitions", "信访办公室", DepartmentKind.TOWN_OFFICE),
    SeedDepartment("sanitation", "环卫绿化服务中心", DepartmentKind.TOWN_OFFICE),
    # Outside bodies serving the town.
    SeedDepartment("traffic_police", "交警太平中队", DepartmentKind.OUTSIDE_BODY),
    SeedDepartment("police_station", "太平派出所", DepartmentKind.OUTSIDE_BODY),
    SeedDepartment("market", "太平市场监管所", DepartmentKind.OUTSIDE_BODY),
    SeedDepartment("water", "供水公司太平营业所", DepartmentKind.OUTSIDE_BODY),
    SeedDepartment("power", "供电公司太平供电服务站", DepartmentKind.OUTSIDE_BODY),
    SeedDepartment("gas", "燃气公司太平服务站", DepartmentKind.OUTSIDE_BODY),
)
SEED_DEPARTMENT_CODES: Final = frozenset(department.code for department in SEED_DEPARTMENTS)

# --- Time limits ---------------------------------------------------------------------------

WM, WH, WD = TimeUnit.WORKING_MINUTES, TimeUnit.WORKING_HOURS, TimeUnit.WORKING_DAYS
CM, CH = TimeUnit.CALENDAR_MINUTES, TimeUnit.CALENDAR_HOURS
Limit = tuple[int, str]


def time_limits(
    handle: Limit,
    handle_urgent: Limit,
    *,
    kind: str = "general",
) -> list[TimeLimitSpec]:
    """The five stage limits for normal and urgent cases.

    ``kind`` is ``general`` (all in working time), ``hazard`` (urgent cases run on calendar
    time: danger does not wait for Monday) or ``utility`` (water, power, gas: urgent
    acknowledgement within 30 calendar minutes, as Tianjin's hotline rules ask).
    """
    normal: dict[str, Limit] = {
        Stage.REGISTER: (30, WM),
        Stage.DISPATCH: (30, WM),
        Stage.ACKNOWLEDGE: (1, WH),
        Stage.HANDLE: handle,
        Stage.VERIFY: (2, WH),
    }
    if kind == "hazard":
        urgent: dict[str, Limit] = {
            Stage.REGISTER: (10, CM),
            Stage.DISPATCH: (10, CM),
            Stage.ACKNOWLEDGE: (15, CM),
            Stage.HANDLE: handle_urgent,
            Stage.VERIFY: (1, CH),
        }
    else:
        urgent = {
            Stage.REGISTER: (10, WM),
            Stage.DISPATCH: (10, WM),
            Stage.ACKNOWLEDGE: (30, CM) if kind == "utility" else (30, WM),
            Stage.HANDLE: handle_urgent,
            Stage.VERIFY: (1, WH),
        }
    rows = [(str(Urgency.NORMAL), str(stage), amount, str(unit)) for stage, (amount, unit) in normal.items()]
    rows += [(str(Urgency.URGENT), str(stage), amount, str(unit)) for stage, (amount, unit) in urgent.items()]
    return rows


# --- Classes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedMinor:
    slug: str
    name: str
    department: str
    filing: str
    closing: str
    limits: list[TimeLimitSpec]
    self_handle: bool = False
    verification: bool = True


@dataclass(frozen=True)
class SeedMajor:
    code: str
    name: str
    minors: tuple[SeedMinor, ...] = field(default_factory=tuple)


SEED: Final[tuple[SeedMajor, ...]] = (
    SeedMajor(
        "parking",
        "交通秩序",
        (
            SeedMinor(
                "minor",
                "违规停车劝导",
                "traffic_police",
                "机动车在人行道、绿地或禁停路段停放，影响通行或市容。",
                "车辆已驶离或规范停放，有处置前后照片。",
                time_limits((1, WD), (2, WH)),
                self_handle=True,
            ),
            SeedMinor(
                "long_term",
                "长时间占用道路停车",
                "traffic_police",
                "车辆在道路或公共停车区域连续停放超过7日，或疑似废弃车辆。",
                "车辆已移走或已张贴告知并依法处理，有现场照片。",
                time_limits((5, WD), (1, WD)),
            ),
            SeedMinor(
                "fire_lane",
                "占用消防通道停车",
                "traffic_police",
                "车辆停放在消防车通道或消防登高场地。",
                "消防通道已畅通，有现场照片。",
                time_limits((1, WD), (2, CH), kind="hazard"),
            ),
            SeedMinor(
                "non_motor",
                "非机动车乱停放",
                "urban_mgmt",
                "自行车、电动车在盲道、出入口或主要通道乱停乱放。",
                "车辆已摆放整齐或清走，通道畅通。",
                time_limits((1, WD), (4, WH)),
                self_handle=True,
            ),
            SeedMinor(
                "signal",
                "交通信号灯或标志损坏",
                "traffic_police",
                "信号灯不亮、倒计时故障，交通标志缺失、倒伏或被遮挡。",
                "设施恢复正常，有修复后照片。",
                time_limits((3, WD), (4, WH)),
            ),
            SeedMinor(
                "congestion",
                "路口拥堵需疏导",
                "traffic_police",
                "上下学、集市等时段路口严重拥堵或车辆乱行。",
                "交通恢复顺畅，已安排疏导或调整管控措施。",
                time_limits((2, WD), (1, WH)),
            ),
        ),
    ),
    SeedMajor(
        "safety",
        "公共安全",
        (
            SeedMinor(
                "fire_hazard",
                "消防安全隐患",
                "emergency",
                "楼道堆放杂物、私拉电线给电动车充电、消防设施损坏或缺失。",
                "隐患已消除，杂物清理、线路拆除或设施修复，有照片。",
                time_limits((3, WD), (4, CH), kind="hazard"),
            ),
            SeedMinor(
                "gas_leak",
                "燃气泄漏隐患",
                "gas",
                "闻到燃气异味、燃气管道或表具破损。",
                "燃气公司已检修并确认无泄漏。",
                time_limits((1, WD), (2, CH), kind="hazard"),
            ),
            SeedMinor(
                "flooding",
                "积水内涝",
                "emergency",
                "道路、低洼院落或地下空间积水，影响通行或有安全风险。",
                "积水已排除，必要时设置警示。",
                time_limits((2, WD), (4, CH), kind="hazard"),
            ),
            SeedMinor(
                "dangerous_building",
                "危房及构筑物隐患",
                "planning",
                "房屋墙体开裂、倾斜，围墙、广告牌等构筑物有倒塌风险。",
                "已加固、拆除或设置围挡并告知住户，有照片。",
                time_limits((5, WD), (8, CH), kind="hazard"),
            ),
            SeedMinor(
                "work_safety",
                "安全生产隐患",
                "emergency",
                "企业、作坊违规储存危化品、动火作业无防护等。",
                "隐患已整改，经复查合格。",
                time_limits((5, WD), (4, CH), kind="hazard"),
            ),
            SeedMinor(
                "public_order",
                "治安隐患",
                "police_station",
                "可疑人员聚集、群租房、无证经营场所等治安风险。",
                "派出所已核查处置并反馈结果。",
                time_limits((3, WD), (2, CH), kind="hazard"),
            ),
            SeedMinor(
                "dispute",
                "矛盾纠纷",
                "safety",
                "邻里、家庭、物业等矛盾纠纷，有激化可能。",
                "双方达成调解或已依法引导解决，有调解记录。",
                time_limits((5, WD), (1, WD)),
            ),
        ),
    ),
    SeedMajor(
        "facilities",
        "公共设施",
        (
            SeedMinor(
                "manhole",
                "井盖缺失或破损",
                "urban_mgmt",
                "道路、人行道上的井盖缺失、破损、移位或下沉。",
                "井盖已补齐或更换，路面平整，有照片。",
                time_limits((2, WD), (4, CH), kind="hazard"),
            ),
            SeedMinor(
                "streetlight",
                "路灯不亮",
                "planning",
                "路灯连续不亮或白天常亮，灯杆倾斜。",
                "路灯恢复正常，夜间复查确认。",
                time_limits((3, WD), (1, WD)),
            ),
            SeedMinor(
                "road_damage",
                "道路破损",
                "planning",
                "路面坑洼、塌陷、破损，影响车辆和行人通行。",
                "路面已修复，或已设置警示并安排维修。",
                time_limits((5, WD), (4, WH)),
            ),
            SeedMinor(
                "drain",
                "排水设施堵塞",
                "urban_mgmt",
                "雨水口、排水沟堵塞或污水外溢。",
                "已疏通，排水正常。",
                time_limits((2, WD), (4, WH)),
            ),
            SeedMinor(
                "water_supply",
                "供水管道漏水或停水",
                "water",
                "供水管道破裂漏水、水压异常或无故停水。",
                "管道已修复，供水恢复。",
                time_limits((1, WD), (4, CH), kind="utility"),
            ),
            SeedMinor(
                "power_supply",
                "供电线路故障",
                "power",
                "电线断落、电杆倾斜、变压器异响或区域停电。",
                "线路已修复，供电恢复，现场无隐患。",
                time_limits((1, WD), (4, CH), kind="utility"),
            ),
            SeedMinor(
                "fitness",
                "健身器材损坏",
                "social_affairs",
                "村（社区）健身器材损坏、松动，有伤人风险。",
                "器材已修复或拆除并设置提示。",
                time_limits((5, WD), (1, WD)),
            ),
        ),
    ),
    SeedMajor(
        "greenery",
        "园林绿化",
        (
            SeedMinor(
                "damaged",
                "绿地被毁或践踏",
                "sanitation",
                "绿地被踩踏、碾压、挖掘，植被明显受损。",
                "绿地已补植恢复。",
                time_limits((5, WD), (1, WD)),
            ),
            SeedMinor(
                "fallen_tree",
                "树木倒伏或枯死",
                "sanitation",
                "树木倒伏、断枝悬挂或枯死，影响通行或有安全风险。",
                "倒伏树木已清理或扶正，枯树已移除。",
                time_limits((3, WD), (4, WH)),
            ),
            SeedMinor(
                "pruning",
                "树枝遮挡需修剪",
                "sanitation",
                "树枝遮挡路灯、交通标志或触碰电线。",
                "已修剪，遮挡消除。",
                time_limits((5, WD), (1, WD)),
            ),
            SeedMinor(
                "encroachment",
                "毁绿种菜或占用绿地",
                "urban_mgmt",
                "在公共绿地种菜、堆物或圈占。",
                "占用已清除，绿地恢复。",
                time_limits((5, WD), (1, WD)),
                self_handle=True,
            ),
            SeedMinor(
                "weeds",
                "杂草丛生",
                "sanitation",
                "公共区域杂草高于30厘米或有火灾风险。",
                "杂草已清除。",
                time_limits((3, WD), (1, WD)),
            ),
        ),
    ),
    SeedMajor(
        "appearance",
        "市容环境",
        (
            SeedMinor(
                "garbage",
                "暴露垃圾",
                "sanitation",
                "路面、绿地、河边有暴露垃圾或垃圾桶满溢。",
                "垃圾已清运，现场整洁。",
                time_limits((4, WH), (2, WH)),
            ),
            SeedMinor(
                "small_ads",
                "乱张贴小广告",
                "urban_mgmt",
                "墙面、电线杆、公共设施上张贴、涂写、刻画小广告。",
                "小广告已清除，有处置前后照片。",
                time_limits((1, WD), (4, WH)),
                self_handle=True,
            ),
            SeedMinor(
                "street_vendor",
                "占道经营",
                "urban_mgmt",
                "店外经营、流动摊贩占用道路或人行道。",
                "经营者已撤离或入店经营，道路畅通。",
                time_limits((1, WD), (2, WH)),
                self_handle=True,
            ),
            SeedMinor(
                "piled_materials",
                "乱堆物堆料",
                "urban_mgmt",
                "在道路、楼道、公共场地堆放杂物、建材。",
                "堆放物已清理，场地恢复整洁。",
                time_limits((2, WD), (4, WH)),
                self_handle=True,
            ),
            SeedMinor(
                "illegal_construction",
                "违法建设",
                "urban_mgmt",
                "未经批准正在搭建或已建成的建筑物、构筑物。",
                "在建的已制止停工，已建的已拆除或依法立案查处。",
                time_limits((3, WD), (4, WH)),
            ),
            SeedMinor(
                "signboard",
                "户外广告牌匾破损",
                "urban_mgmt",
                "门头牌匾、广告牌破损、缺字或有坠落风险。",
                "已修复或拆除。",
                time_limits((3, WD), (4, WH)),
            ),
            SeedMinor(
                "construction_waste",
                "建筑垃圾乱倒",
                "urban_mgmt",
                "在路边、空地、河边倾倒建筑垃圾或渣土。",
                "垃圾已清运，责任人已查处。",
                time_limits((2, WD), (4, WH)),
            ),
        ),
    ),
    SeedMajor(
        "civility",
        "文明行为",
        (
            SeedMinor(
                "dog",
                "不文明养犬",
                "police_station",
                "遛狗不拴绳、犬只伤人隐患、犬粪不清理。",
                "已劝导或依法处理，有记录。",
                time_limits((2, WD), (2, WH)),
                self_handle=True,
            ),
            SeedMinor(
                "littering",
                "乱扔垃圾劝导",
                "urban_mgmt",
                "乱扔垃圾、随地吐痰等不文明行为。",
                "已当场劝导，现场已清理。",
                time_limits((1, WD), (4, WH)),
                self_handle=True,
                verification=False,
            ),
            SeedMinor(
                "noise",
                "噪声扰民",
                "police_station",
                "夜间施工、广场舞、商铺喇叭等噪声影响居民休息。",
                "噪声已停止或降至规定范围。",
                time_limits((2, WD), (2, WH)),
            ),
            SeedMinor(
                "street_burning",
                "沿街焚烧祭品",
                "urban_mgmt",
                "在街巷、路口焚烧纸钱等祭品。",
                "已劝导并清理灰烬。",
                time_limits((1, WD), (2, WH)),
                self_handle=True,
                verification=False,
            ),
            SeedMinor(
                "laundry",
                "乱晾晒",
                "urban_mgmt",
                "在临街护栏、树木、电线上晾晒衣物。",
                "已劝导收回。",
                time_limits((1, WD), (4, WH)),
                self_handle=True,
                verification=False,
            ),
        ),
    ),
    SeedMajor(
        "visits",
        "民情走访",
        (
            SeedMinor(
                "consultation",
                "政策咨询",
                "social_affairs",
                "群众对社保、医保、低保等政策有疑问。",
                "已答复群众，群众知晓。",
                time_limits((3, WD), (1, WD)),
                verification=False,
            ),
            SeedMinor(
                "hardship",
                "困难群众帮扶",
                "social_affairs",
                "走访发现生活困难、因病因灾致困家庭。",
                "已落实救助或帮扶措施，有记录。",
                time_limits((5, WD), (1, WD)),
            ),
            SeedMinor(
                "elderly",
                "独居老人关爱",
                "social_affairs",
                "独居、空巢老人生活无人照料或身体异常。",
                "已联系家属或安排照护，回访确认。",
                time_limits((3, WD), (4, WH)),
            ),
            SeedMinor(
                "property",
                "物业服务问题",
                "planning",
                "小区物业不作为、公共设施无人维护、收费争议。",
                "物业已整改或已调解，居民认可。",
                time_limits((5, WD), (1, WD)),
            ),
            SeedMinor(
                "wage_arrears",
                "拖欠农民工工资",
                "social_affairs",
                "用工单位拖欠农民工工资，涉及人员较多。",
                "工资已支付或已移交劳动监察处理。",
                time_limits((5, WD), (1, WD)),
            ),
            SeedMinor(
                "land",
                "土地承包纠纷",
                "agriculture",
                "土地承包、流转、宅基地等权属纠纷。",
                "已调解或已引导通过仲裁、诉讼解决。",
                time_limits((10, WD), (2, WD)),
            ),
            SeedMinor(
                "petition",
                "信访诉求",
                "petitions",
                "群众反映的需由信访渠道办理的诉求。",
                "已按信访程序答复，有书面意见。",
                time_limits((15, WD), (3, WD)),
                verification=False,
            ),
        ),
    ),
    SeedMajor(
        "environment",
        "生态环境",
        (
            SeedMinor(
                "open_burning",
                "露天焚烧",
                "environment",
                "露天焚烧秸秆、垃圾、废旧轮胎等。",
                "明火已扑灭，现场已清理，责任人已查处。",
                time_limits((1, WD), (2, CH), kind="hazard"),
            ),
            SeedMinor(
                "dust",
                "扬尘污染",
                "environment",
                "工地、料场未苫盖，渣土车遗撒，道路扬尘明显。",
                "已苫盖、洒水或清扫，扬尘消除。",
                time_limits((3, WD), (4, WH)),
            ),
            SeedMinor(
                "water_pollution",
                "河道坑塘污染",
                "environment",
                "河道、坑塘水体发黑发臭，有漂浮物或死鱼。",
                "漂浮物已打捞，污染源已查明并处理。",
                time_limits((3, WD), (1, WD)),
            ),
            SeedMinor(
                "sewage",
                "污水直排",
                "environment",
                "企业、商户或住户向河道、雨水管网直排污水。",
                "排口已封堵或接入污水管网。",
                time_limits((3, WD), (8, CH), kind="hazard"),
            ),
            SeedMinor(
                "emission",
                "废气异味",
                "environment",
                "企业排放废气、散发刺激性异味。",
                "已查处整改，异味消除。",
                time_limits((3, WD), (4, CH), kind="hazard"),
            ),
            SeedMinor(
                "livestock",
                "畜禽养殖污染",
                "agriculture",
                "畜禽粪污随意堆放、直排，气味明显。",
                "粪污已清理并落实处理设施。",
                time_limits((5, WD), (1, WD)),
            ),
            SeedMinor(
                "cooking_fumes",
                "餐饮油烟污染",
                "urban_mgmt",
                "餐饮店油烟未经净化直排，影响周边居民。",
                "已安装或清洗净化设施，油烟达标。",
                time_limits((5, WD), (1, WD)),
            ),
        ),
    ),
)


# --- Loading -------------------------------------------------------------------------------


@dataclass
class SeedReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    missing_departments: list[str] = field(default_factory=list)


def _resolve(
    code: str, department_codes: Mapping[str, str] | None, cache: dict[str, Department | None]
) -> Department | None:
    target = (department_codes or {}).get(code, code)
    if target not in cache:
        cache[target] = department_by_code(target)
    return cache[target]


@transaction.atomic
def seed_categories(
    *,
    actor: User | AnonymousUser | None,
    department_codes: Mapping[str, str] | None = None,
    update: bool = False,
) -> SeedReport:
    """Create the seed categories that are missing.

    ``department_codes`` maps seed department codes (:data:`SEED_DEPARTMENTS`) to this
    installation's codes; a code with no department leaves the default department empty.
    With ``update=True`` existing categories get the seed's names, department, flags,
    conditions, order and time limits back (their active switch is left as it is);
    otherwise existing categories are left alone, so admin edits are kept.
    """
    report = SeedReport()
    departments: dict[str, Department | None] = {}
    for major_index, major in enumerate(SEED, start=1):
        stored_major = Category.objects.filter(code=major.code).first()
        if stored_major is None or update:
            major_is_new = stored_major is None
            stored_major, changed = category_save(
                actor=actor,
                code=major.code,
                name=major.name,
                sort_order=major_index * 10,
                is_active=stored_major.is_active if stored_major is not None else True,
            )
            _count(report, created=major_is_new, changed=changed)
        else:
            report.unchanged += 1
        for minor_index, minor in enumerate(major.minors, start=1):
            code = f"{major.code}.{minor.slug}"
            stored = Category.objects.filter(code=code).first()
            if stored is not None and not update:
                report.unchanged += 1
                continue
            department = _resolve(minor.department, department_codes, departments)
            if department is None:
                report.missing_departments.append(minor.department)
                if stored is not None:
                    department = stored.default_department
            is_new = stored is None
            _category, changed = category_save(
                actor=actor,
                code=code,
                name=minor.name,
                parent=stored_major,
                default_department=department,
                self_handle_allowed=minor.self_handle,
                verification_required=minor.verification,
                result_photo_required=minor.verification,
                verify_photo_required=minor.verification,
                filing_condition=minor.filing,
                closing_condition=minor.closing,
                sort_order=minor_index * 10,
                is_active=stored.is_active if stored is not None else stored_major.is_active,
                time_limits=minor.limits,
            )
            _count(report, created=is_new, changed=changed)
    report.missing_departments = sorted(set(report.missing_departments))
    return report


def _count(report: SeedReport, *, created: bool, changed: bool) -> None:
    if created:
        report.created += 1
    elif changed:
        report.updated += 1
    else:
        report.unchanged += 1
