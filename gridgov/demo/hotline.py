"""Historical hotline work orders for the demo, made through the hotline services.

:func:`load_demo_hotline` fills an empty order table with a few hundred 12345 orders that
reached Taiping town over the last six months: roads, street lights, property management,
heating, water, power and gas, noise, street stalls, parking, rubbish, wages, policy questions,
food and prices, praise, and matters outside the town's remit. They follow every path of the
flow: acknowledged on time and late, instructed by a town leader or assigned straight to a
department (enquiries), drafts rejected, replies on time and late, call-backs satisfied,
basically satisfied and dissatisfied (重办), extensions, reminders and supervision from
upstream, returns (退单), field work through a linked case in the case loop; and a share still
open in every status.

Every order is received with :func:`gridgov.hotline.services.order_receive` and moved with
``order_act`` (the town's steps) and ``order_event`` (upstream's call-backs and closures), each
with ``at=`` set to a past moment, so the timeline, stages, deadlines and on-time flags are
what the services compute. Linked cases run through the case loop with the case demo's
generator. Step times follow each step's limit on the working calendar and never pass ``now``.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from gridgov.areas.models import Area, AreaLevel
from gridgov.cases.models import Case
from gridgov.hotline import services
from gridgov.hotline.deadlines import return_deadline
from gridgov.hotline.intake import OrderData
from gridgov.hotline.models import (
    Channel,
    HotlineOrder,
    OrderStatus,
    OrderType,
    Satisfaction,
    SourceSystem,
    UrgencyClass,
)
from gridgov.notify.services import mark_read
from gridgov.people.models import Department, Role, RoleAssignment
from gridgov.workcalendar import calendar

from .cases import SCENARIO_BY_NAME as CASE_SCENARIOS
from .cases import CaseGenerator
from .cases import Cast as CaseCast
from .hotline_open import OrderPlan, plan_open, plannable
from .loader import check_allowed
from .taiping import GIVEN_CHARS, MOBILE_PREFIXES, SURNAMES, TOWN_CODE
from .timing import light_deck
from .upstream import history_settle

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

DEMO_HOTLINE_SEED: Final = 20260712
DEFAULT_ORDER_COUNT: Final = 300
WINDOW_DAYS: Final = 182

E, H, S, C, R, P = (
    OrderType.ENQUIRY,
    OrderType.HELP,
    OrderType.SUGGESTION,
    OrderType.COMPLAINT,
    OrderType.REPORT,
    OrderType.PRAISE,
)

# --- Topics -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """What an order is about: its upstream category, types, urgency, the town department that
    leads the reply (and any that cooperate), the case category when field work is needed, and
    texts. ``{place}`` in a text is filled with a place in one of the town's villages."""

    key: str
    weight: float
    category: str
    types: tuple[tuple[str, float], ...]
    departments: tuple[str, ...]
    titles: tuple[str, ...]
    contents: tuple[str, ...]
    replies: tuple[str, ...]
    urgency: str = UrgencyClass.GENERAL
    case_category: str = ""
    # Months of the year when the topic comes up (empty: all year).
    months: tuple[int, ...] = ()


TOPICS: Final[tuple[Topic, ...]] = (
    Topic(
        "road",
        8,
        "城乡建设/道路桥梁",
        ((C, 3), (H, 5), (S, 2)),
        ("planning",),
        ("道路破损坑洼", "村内道路积水", "路面塌陷"),
        (
            "来电人反映{place}附近路面坑洼不平，雨后积水，电动车和行人通行困难，希望尽快修复。",
            "来电人反映{place}一段水泥路面开裂塌陷，夜间行车存在安全隐患，要求相关部门处理。",
            "来电人反映{place}道路两侧排水不畅，每逢下雨路面积水严重，希望修整排水沟。",
        ),
        (
            "经规划建设办公室现场核实，该路段确有破损。已安排施工队对坑洼路面进行修补，"
            "目前已修复完毕，恢复正常通行。已电话告知来电人。",
            "经核实，该路段已列入今年村内道路提升改造计划，施工前已先行对坑洼处进行临时修补，"
            "确保通行安全。已向来电人说明情况，来电人表示理解。",
        ),
        case_category="facilities.road_damage",
    ),
    Topic(
        "streetlight",
        5,
        "城乡建设/路灯照明",
        ((H, 6), (C, 2)),
        ("planning",),
        ("路灯不亮", "路灯损坏"),
        (
            "来电人反映{place}一带路灯已经一周不亮，晚上出行不便，老人孩子容易摔倒，希望尽快维修。",
            "来电人反映{place}路灯白天亮、晚上不亮，控制器可能故障，浪费电且影响夜间照明。",
        ),
        (
            "经现场检查，系路灯线路老化短路。已更换线路和灯具，目前路灯恢复正常照明，已告知来电人。",
            "已联系维修单位更换路灯控制器，现已按时开关灯。后续纳入日常巡查。",
        ),
        case_category="facilities.streetlight",
    ),
    Topic(
        "property",
        8,
        "住房保障/物业管理",
        ((C, 6), (H, 3), (S, 1)),
        ("planning",),
        ("物业服务不到位", "电梯故障无人维修", "物业收费问题"),
        (
            "来电人反映{place}小区电梯频繁故障，物业报修后迟迟不修，老年住户上下楼困难，要求督促物业处理。",
            "来电人反映{place}小区物业垃圾清运不及时，楼道堆放杂物无人清理，要求物业履行服务职责。",
            "来电人反映{place}小区物业收取停车管理费标准不公开，业主有异议，希望有关部门核查。",
        ),
        (
            "规划建设办公室已约谈小区物业公司，责令其三日内完成电梯维修并公示维保记录。"
            "目前电梯已恢复运行，已电话回复来电人。",
            "经协调，物业公司已增加保洁人员，楼道杂物已清理完毕，垃圾实行日产日清。后续将加强对物业服务的监督检查。",
            "经核查，该小区停车管理费已按规定备案。已要求物业在小区公告栏公开收费依据和标准，并向来电人作了解释。",
        ),
    ),
    Topic(
        "heating",
        6,
        "城市管理/供热",
        ((H, 5), (C, 3), (E, 2)),
        ("planning",),
        ("暖气不热", "室温不达标", "供热咨询"),
        (
            "来电人反映{place}家中暖气不热，室温只有十四五度，家中有老人，要求供热单位上门检查。",
            "来电人反映{place}楼栋暖气片上热下凉，多次联系供热站未解决，希望协调处理。",
            "来电人咨询{place}今年供热开始时间和供热费缴纳方式。",
        ),
        (
            "经协调供热单位上门检测，系户内管道存气导致暖气不热。已为来电人排气处理，复测室温达到18℃以上，来电人认可。",
            "已协调供热站对该楼栋管网进行平衡调节，目前各户室温达标。已告知来电人如有问题可直接联系供热站。",
        ),
        urgency=UrgencyClass.UTILITIES,
        months=(11, 12, 1, 2, 3),
    ),
    Topic(
        "water",
        7,
        "城市管理/供水",
        ((H, 6), (C, 2), (E, 2)),
        ("water",),
        ("停水无通知", "水压低", "供水管道漏水"),
        (
            "来电人反映{place}从昨天晚上开始停水，事先没有接到通知，要求尽快恢复供水。",
            "来电人反映{place}一带自来水水压很低，楼上住户基本没有水，影响正常生活。",
            "来电人反映{place}路边供水管道漏水，水流到路面上，已持续两天。",
        ),
        (
            "经供水公司太平营业所核实，停水系主管道抢修所致。目前管道已修复，供水已恢复正常。"
            "今后计划停水将提前在村务公开栏和微信群通知。",
            "已安排人员对漏水管道进行开挖维修，现已修复并恢复路面。已告知来电人。",
        ),
        urgency=UrgencyClass.UTILITIES,
        case_category="facilities.water_supply",
    ),
    Topic(
        "power",
        3,
        "城市管理/供电",
        ((H, 7), (C, 3)),
        ("power",),
        ("频繁停电", "电压不稳"),
        (
            "来电人反映{place}最近一周频繁停电，家里电器受损，要求查明原因。",
            "来电人反映{place}晚上用电高峰电压不稳，灯光忽明忽暗，空调无法启动。",
        ),
        ("经供电服务站排查，系台区变压器负荷过重。已调整负荷并更换老化线路，目前供电正常。",),
        urgency=UrgencyClass.UTILITIES,
    ),
    Topic(
        "gas",
        2,
        "城市管理/燃气",
        ((R, 5), (H, 5)),
        ("gas", "emergency"),
        ("疑似燃气泄漏", "燃气管道隐患"),
        (
            "来电人反映{place}楼道内有明显燃气味，担心泄漏，要求立即派人检查。",
            "来电人反映{place}沿街餐馆燃气管道私自改装，软管老化，存在安全隐患。",
        ),
        (
            "接报后燃气公司抢修人员到场检测，系楼道内阀门密封老化轻微泄漏，已更换阀门并复测无泄漏。",
            "应急管理办公室会同燃气公司对该餐馆进行检查，责令其停用私改管道，已按规范整改完毕。",
        ),
        urgency=UrgencyClass.LIFE_SAFETY,
    ),
    Topic(
        "noise",
        7,
        "生态环境/噪声污染",
        ((C, 8), (R, 2)),
        ("environment", "police_station"),
        ("夜间施工噪声扰民", "广场舞噪声", "商铺高音喇叭"),
        (
            "来电人反映{place}附近工地夜间十点以后仍在施工，噪声很大，影响休息，要求制止。",
            "来电人反映{place}广场每天晚上跳广场舞音响声音过大，持续到九点半以后，希望协调。",
            "来电人反映{place}沿街商铺用高音喇叭循环播放促销广告，噪声扰民。",
        ),
        (
            "生态环境办公室已到现场调查，责令施工单位夜间22时后停止高噪声作业，并在工地公示施工时间。"
            "经回访，夜间施工已停止。",
            "已会同村委会与广场舞队伍负责人沟通，约定音量控制和结束时间（21时前）。后续由网格员跟踪。",
            "已对商铺负责人进行劝导教育，商铺已撤除室外喇叭。",
        ),
    ),
    Topic(
        "stall",
        9,
        "城市管理/占道经营",
        ((C, 6), (R, 3), (S, 1)),
        ("urban_mgmt",),
        ("流动摊贩占道经营", "早市占道", "夜市油烟"),
        (
            "来电人反映{place}路口每天早上有流动摊贩占道经营，堵塞交通，垃圾遍地，要求治理。",
            "来电人反映{place}附近夜市摊位占用人行道，油烟和噪声影响周边居民。",
        ),
        (
            "镇综合行政执法大队已对该处占道经营进行整治，劝离流动摊贩，并引导其进入便民市场经营。"
            "目前路口通行秩序良好，将持续巡查防止反弹。",
            "已对夜市摊位进行规范，划定经营区域和时间，要求摊主使用油烟净化设备。已回复来电人。",
        ),
        case_category="appearance.street_vendor",
    ),
    Topic(
        "parking",
        8,
        "交通运输/停车管理",
        ((C, 6), (H, 2), (S, 2)),
        ("traffic_police",),
        ("车辆长期占道停放", "堵塞消防通道", "僵尸车"),
        (
            "来电人反映{place}有车辆长期停放在路边，占用车道，导致车辆会车困难。",
            "来电人反映{place}小区消防通道被私家车堵塞，存在安全隐患。",
            "来电人反映{place}有一辆无牌车辆停放数月，车身破损，疑似废弃车辆。",
        ),
        (
            "交警太平中队已到现场，联系车主将车辆移走，并在该路段加强巡查，对违停车辆依法处理。",
            "经核实，该车辆为废弃车辆，已张贴限期移车通知，逾期后依法拖移。已告知来电人。",
        ),
        case_category="parking.long_term",
    ),
    Topic(
        "garbage",
        5,
        "城市管理/环境卫生",
        ((C, 5), (H, 5)),
        ("sanitation",),
        ("垃圾清运不及时", "垃圾桶满溢"),
        (
            "来电人反映{place}垃圾桶满溢好几天没人清运，气味难闻，蚊蝇滋生。",
            "来电人反映{place}路边有人倾倒生活垃圾和装修垃圾，形成垃圾堆。",
        ),
        (
            "环卫绿化服务中心已安排车辆清运，现场已清理干净，并增加该点位清运频次。",
            "已清理路边垃圾堆，并在该处设置警示牌，由网格员加强巡查。",
        ),
        case_category="appearance.garbage",
    ),
    Topic(
        "wage",
        4,
        "劳动和社会保障/劳资纠纷",
        ((H, 6), (C, 4)),
        ("social_affairs",),
        ("拖欠农民工工资", "工资未结清"),
        (
            "来电人反映在{place}一处工地务工，工程结束后包工头拖欠工资两个多月未结清，要求帮助讨薪。",
            "来电人反映{place}某企业辞退员工后未结清最后一个月工资。",
        ),
        (
            "社会事务办公室已约谈施工单位和劳务负责人，经协调，拖欠工资已于本周全额支付，来电人已确认收到。",
            "经调解，企业同意在十个工作日内结清工资。已告知来电人，如到期未付可申请劳动仲裁。",
        ),
    ),
    Topic(
        "policy",
        6,
        "劳动和社会保障/政策咨询",
        ((E, 10),),
        ("social_affairs",),
        ("城乡居民医保缴费咨询", "养老保险认证咨询", "低保申请咨询"),
        (
            "来电人咨询城乡居民医疗保险今年的缴费标准和缴费截止时间，户籍在{place}。",
            "来电人咨询在{place}居住的老人办理养老金资格认证的方式。",
            "来电人咨询家庭困难如何申请低保，居住在{place}。",
        ),
        (
            "已电话答复来电人：城乡居民医保可通过手机APP或到村便民服务站缴纳，截止时间以区医保部门通知为准。",
            "已告知来电人可通过手机APP进行人脸识别认证，行动不便的老人可联系村便民服务站上门认证。",
            "已告知来电人低保申请需携带身份证、户口簿和收入证明到村委会提交申请，并说明审核流程。",
        ),
    ),
    Topic(
        "market",
        3,
        "市场监管/食品安全",
        ((R, 6), (C, 4)),
        ("market",),
        ("超市销售过期食品", "商户价格欺诈"),
        (
            "来电人反映在{place}一家超市购买的面包已过保质期，要求查处。",
            "来电人反映{place}一家水果店缺斤短两，商品未明码标价。",
        ),
        (
            "太平市场监管所已对该超市进行检查，下架过期食品并立案调查，已督促商家为来电人退货赔偿。",
            "已对该商户进行检查，责令其明码标价并校准计量器具，依法予以处理。",
        ),
    ),
    Topic(
        "burning",
        3,
        "生态环境/大气污染",
        ((R, 6), (C, 4)),
        ("environment",),
        ("露天焚烧", "餐饮油烟扰民"),
        (
            "来电人反映{place}附近农田有人焚烧秸秆和垃圾，浓烟很大。",
            "来电人反映{place}楼下餐馆油烟直排，油烟味进入居民家中。",
        ),
        (
            "生态环境办公室会同村委会到现场扑灭明火，对焚烧人进行批评教育，并加强秸秆禁烧巡查。",
            "已责令餐馆安装油烟净化设施并定期清洗，整改完成后复查合格。",
        ),
        months=(6, 7, 8, 9, 10, 11),
    ),
    Topic(
        "praise",
        2,
        "其他/表扬",
        ((P, 10),),
        ("urban_mgmt",),
        ("表扬网格员", "表扬执法队员"),
        (
            "来电人表扬{place}网格员，帮助独居老人联系维修、代办事项，服务热情周到。",
            "来电人表扬镇执法队员处理{place}占道问题及时，态度好。",
        ),
        ("感谢来电人对我们工作的肯定，我们将继续做好服务工作。",),
    ),
)
TOPIC_BY_KEY: Final = {topic.key: topic for topic in TOPICS}

# Matters outside the town's remit (returned upstream with reason and basis).
OUT_OF_REMIT: Final[tuple[tuple[str, str, str, str], ...]] = (
    (
        "来电人反映塘沽城区某小区物业问题，地址不在太平镇辖区。",
        "城乡建设/物业管理",
        "经核实，事发地位于其他街道，不属于本镇辖区。",
        "《天津市政务服务便民热线管理办法》第十五条：按属地原则转办。",
    ),
    (
        "来电人要求法院尽快执行判决，追回借款。",
        "政法/司法执行",
        "该事项属于人民法院执行职责，不属于镇级职权范围。",
        "《中华人民共和国民事诉讼法》关于执行程序的规定，由人民法院负责。",
    ),
    (
        "来电人反映高速公路服务区收费问题。",
        "交通运输/高速公路",
        "高速公路管理不属于镇政府职责，应由高速公路管理部门办理。",
        "《收费公路管理条例》：收费公路由交通运输主管部门监管。",
    ),
)

INSTRUCTIONS: Final = (
    "请{dept}牵头办理，尽快核实情况，按时答复来电人。",
    "请{dept}认真核实，依法依规处理，办理结果报综治中心。",
    "此件群众反映较为集中，请{dept}高度重视，限时办结。",
)
REJECTIONS: Final = (
    "答复内容不完整，请补充办理过程和处理结果。",
    "请先到现场核实情况，再重新答复。",
    "答复未回应来电人的具体诉求，请重新拟写。",
)
REDO_REPLIES: Final = (
    "重办情况：再次到现场核实并与来电人当面沟通，已按来电人要求完成整改，来电人对处理结果表示认可。",
    "重办情况：已督促责任单位彻底整改，并安排专人每周回访，问题已解决。",
)
EXTENSION_REASONS: Final = (
    "需协调多个单位共同处理，现场施工需要时间，申请延期。",
    "涉及维修材料采购和施工，预计无法在期限内办结，申请延期。",
)
REMINDERS: Final = ("请抓紧办理，注意办理时限。", "来电人再次来电催促，请尽快答复。")
SUPERVISIONS: Final = ("该工单已临近时限，请加快办理。", "来电人多次反映，请重点督办。")
CALLBACK_COMMENTS: Final = {
    Satisfaction.SATISFIED: ("回访：来电人对处理结果表示满意。",),
    Satisfaction.BASICALLY_SATISFIED: ("回访：来电人表示基本满意，问题已基本解决。",),
    Satisfaction.DISSATISFIED: ("回访：来电人表示问题未解决，不满意。", "回访：来电人认为答复与实际情况不符。"),
}
PLACES: Final = (
    "村委会附近",
    "主街",
    "文化广场",
    "小学门口",
    "农贸市场",
    "幸福里小区",
    "安居苑小区",
    "村北路",
    "工业园区",
)

# --- Scenarios ----------------------------------------------------------------------------------
#
# Steps: ack / ack_late, instruct (a leader; the center assigns enquiries instead), case
# (create a case and run it to its closure) / case_open (create it and leave it running),
# extension (the lead department asks) + extension_ok (upstream approves), remind (the center),
# supervise (upstream), draft / draft_late, reject, approve, callback (satisfied or basically),
# callback_unsolved (basically satisfied, not solved), callback_bad (dissatisfied: back for a
# new reply), close_bad (closed with a dissatisfied rating), close, return.


@dataclass(frozen=True)
class Scenario:
    name: str
    weight: float
    steps: tuple[str, ...]
    open: bool = False
    needs: str = ""  # "enquiry", "case", "praise", "remit"


FLOW: Final = ("ack", "instruct", "draft", "approve")
SCENARIOS: Final[tuple[Scenario, ...]] = (
    Scenario("closed", 34, (*FLOW, "callback", "close")),
    Scenario("enquiry", 10, (*FLOW, "callback", "close"), needs="enquiry"),
    Scenario("reply_late", 6, ("ack", "instruct", "draft_late", "approve", "callback", "close")),
    Scenario("ack_late", 4, ("ack_late", "instruct", "draft", "approve", "callback", "close")),
    Scenario("rejected", 5, (*FLOW[:3], "reject", "draft", "approve", "callback", "close")),
    Scenario("redo", 5, (*FLOW, "callback_bad", "draft", "approve", "callback", "close")),
    Scenario("closed_dissatisfied", 4, (*FLOW, "close_bad")),
    Scenario("unsolved", 3, (*FLOW, "callback_unsolved", "close")),
    Scenario("extension", 4, ("ack", "instruct", "extension", "extension_ok", "draft", "approve", "callback", "close")),
    Scenario("with_case", 8, ("ack", "instruct", "case", "draft", "approve", "callback", "close"), needs="case"),
    Scenario("reminded", 3, ("ack", "instruct", "remind", "draft", "approve", "callback", "close")),
    Scenario("supervised", 2, ("ack", "instruct", "supervise", "draft_late", "approve", "callback", "close")),
    Scenario("returned", 4, ("ack", "return"), needs="remit"),
    Scenario("returned_at_once", 2, ("return",), needs="remit"),
    Scenario("praise", 2, ("ack", "instruct", "draft", "approve", "close"), needs="praise"),
    # Still open.
    Scenario("open_received", 5, (), open=True),
    Scenario("open_acknowledged", 3, ("ack",), open=True),
    Scenario("open_instructed", 6, ("ack", "instruct"), open=True),
    Scenario("open_reminded", 2, ("ack", "instruct", "remind"), open=True),
    Scenario("open_case", 3, ("ack", "instruct", "case_open"), open=True, needs="case"),
    Scenario("open_drafted", 3, ("ack", "instruct", "draft"), open=True),
    Scenario("open_rejected", 2, ("ack", "instruct", "draft", "reject"), open=True),
    Scenario("open_replied", 4, (*FLOW,), open=True),
    Scenario("open_extension", 2, ("ack", "instruct", "extension"), open=True),
    Scenario("open_redo", 2, (*FLOW, "callback_bad"), open=True),
)
SCENARIO_BY_NAME: Final = {scenario.name: scenario for scenario in SCENARIOS}

# Steps that end the order's current timed step (their time is a share of its limit).
TIMED: Final = frozenset({"ack", "ack_late", "instruct", "draft", "draft_late", "approve"})
# Steps whose message goes upstream (acknowledgement, reply, return, extension request).
SENDS: Final = frozenset({"ack", "ack_late", "approve", "return", "extension"})

# When a step happens: a share (low, high) of the way through the order's current step…
STEP_SHARE: Final[dict[str, tuple[float, float]]] = {
    "ack": (0.1, 0.8),
    "ack_late": (1.3, 3.0),
    "instruct": (0.1, 0.7),
    "draft": (0.1, 0.6),
    "draft_late": (1.05, 1.4),
    "remind": (0.05, 0.3),
    "supervise": (0.05, 0.3),
    "extension": (0.05, 0.3),
}
# … or some working minutes after the last step…
STEP_WORKING_MINUTES: Final[dict[str, tuple[float, float]]] = {
    "reject": (20, 240),
    "case": (10, 90),
    "case_open": (10, 90),
}
# … or some working days after it (upstream's answers).
STEP_WORKING_DAYS: Final[dict[str, tuple[float, float]]] = {
    "extension_ok": (0.3, 1.5),
    "callback": (0.5, 4),
    "callback_unsolved": (0.5, 4),
    "callback_bad": (0.5, 4),
    "close_bad": (0.5, 4),
}

# What a step taken returns: the order and the moment, or None when the step does not happen.
Taken: TypeAlias = "tuple[HotlineOrder, dt.datetime] | None"
StepTaker: TypeAlias = "Callable[[HotlineOrder, Topic | None, str, dt.datetime], Taken]"


# --- The cast -------------------------------------------------------------------------------


@dataclass
class Cast:
    """The people and places of the town that orders are drawn from."""

    town: Area
    villages: list[Area]
    grids_of: dict[int, list[Area]]
    upstream: User
    center: list[User]
    leaders: list[User]
    handlers: dict[str, list[User]]  # department code → handlers

    @classmethod
    def load(cls, town_code: str | None = None) -> Cast:
        towns = Area.objects.current().filter(level=AreaLevel.TOWN)
        town = towns.filter(code=town_code).first() if town_code else towns.order_by("code").first()
        if town is None:
            raise ValueError(f"no current town {town_code or ''}".strip())
        villages = list(
            Area.objects.current().filter(level=AreaLevel.VILLAGE, path__startswith=town.path).order_by("code")
        )
        grids = Area.objects.current().filter(level=AreaLevel.GRID, path__startswith=town.path).order_by("code")
        grids_of: dict[int, list[Area]] = {}
        for grid in grids:
            if grid.parent_id is not None:
                grids_of.setdefault(grid.parent_id, []).append(grid)
        villages = [village for village in villages if village.pk in grids_of]
        if not villages:
            raise ValueError(f"the town {town.code} has no village with grids")
        rows = list(
            RoleAssignment.objects.filter(user__is_active=True)
            .select_related("user", "area", "department")
            .order_by("user_id", "id")
        )

        def of_town(role: str) -> list[User]:
            return [a.user for a in rows if a.role == role and a.area is not None and a.area.path == town.path]

        upstream = next((a.user for a in rows if a.role == Role.UPSTREAM and a.area_id is None), None)
        center = of_town(Role.CENTER_OPERATOR)
        leaders = of_town(Role.TOWN_LEADER)
        if upstream is None or not center or not leaders:
            raise ValueError("the demo needs an upstream account, a center operator and a town leader")
        handlers: dict[str, list[User]] = {}
        for a in rows:
            if a.role == Role.DEPARTMENT_HANDLER and a.department is not None and a.department.is_active:
                handlers.setdefault(a.department.code, []).append(a.user)
        return cls(
            town=town,
            villages=villages,
            grids_of=grids_of,
            upstream=upstream,
            center=center,
            leaders=leaders,
            handlers=handlers,
        )


# --- The generator --------------------------------------------------------------------------


@dataclass
class Stats:
    created: int = 0
    actions: int = 0
    cases: int = 0
    refused: list[str] = field(default_factory=list)
    by_status: dict[str, int] = field(default_factory=dict)


@dataclass
class Plan:
    """One order to make. An open one is planned back from now (:mod:`.hotline_open`): its
    topic, type and urgency are chosen first, then its arrival and step times."""

    arrival: dt.datetime
    scenario: Scenario
    topic: Topic | None = None
    order_type: str = ""
    urgency: str = ""
    times: list[dt.datetime] = field(default_factory=list)


class OrderGenerator:
    """Receives orders and moves them through the services, following scenarios, in the past."""

    def __init__(
        self,
        cast: Cast,
        *,
        seed: int = DEMO_HOTLINE_SEED,
        now: dt.datetime | None = None,
        window_days: int = WINDOW_DAYS,
    ) -> None:
        self.cast = cast
        self.rng = random.Random(seed)
        self.now = now or timezone.now()
        self.start = self.now - dt.timedelta(days=window_days)
        self.stats = Stats()
        self.numbers: set[str] = set()
        # The moment of each message queued upstream, in the order they were queued.
        self.sent_at: list[dt.datetime] = []
        self.order_ids: list[int] = []
        self._case_generator: CaseGenerator | Literal[False] | None = None
        self._department_names: dict[str, str] = {}
        self._department_codes: dict[int, str] = {}
        usable = [topic for topic in TOPICS if all(code in cast.handlers for code in topic.departments[:1])]
        if not usable:
            raise ValueError("no department of the demo topics has a handler")
        self.topics = usable

    # -- plans ---------------------------------------------------------------------------

    def plans(self, count: int) -> list[Plan]:
        """``count`` plans in date order: every scenario once when ``count`` allows, then
        drawn by weight. The open orders that can be planned back from now get their lights
        from one deck (a few yellow, a few red)."""
        rng = self.rng
        chosen: list[Scenario] = list(SCENARIOS) if count >= len(SCENARIOS) else []
        while len(chosen) < count:
            chosen.append(rng.choices(SCENARIOS, weights=[s.weight for s in SCENARIOS])[0])
        deck = light_deck(rng, sum(1 for s in chosen if s.open and plannable(s.steps)))
        plans = []
        for scenario in chosen:
            if scenario.open and plannable(scenario.steps):
                plans.append(self._open_plan(scenario, deck.pop()))
            else:
                plans.append(Plan(self._arrival(scenario), scenario))
        plans.sort(key=lambda plan: plan.arrival)
        return plans

    def _open_plan(self, scenario: Scenario, light: str) -> Plan:
        topic = self._topic(scenario, timezone.localtime(self.now).month)
        order_type = self._type(topic, scenario)
        urgency = topic.urgency if order_type != E else UrgencyClass.GENERAL
        draft = HotlineOrder(order_type=order_type, urgency_class=urgency, complex=False)
        planned: OrderPlan = plan_open(self.rng, now=self.now, steps=scenario.steps, light=light, order=draft)
        return Plan(planned.arrival, scenario, topic, order_type, urgency, planned.times)

    def _arrival(self, scenario: Scenario) -> dt.datetime:
        rng = self.rng
        if scenario.open:
            short = len(scenario.steps) <= 1
            share = rng.random() * (0.6 if short else 1.0)
            if share < 0.2:
                back = dt.timedelta(hours=rng.uniform(0.3, 20))
            elif share < 0.8:
                back = dt.timedelta(days=rng.uniform(1, 8))
            else:
                back = dt.timedelta(days=rng.uniform(8, 30))
            moment = self.now - back
        else:
            # Leave the story room to finish: closed orders arrived at least a month ago.
            moment = self.start + (self.now - dt.timedelta(days=30) - self.start) * rng.random()
        if rng.random() < 0.8:
            moment = self._working_moment(moment)
        return min(moment, self.now - dt.timedelta(minutes=5))

    def _working_moment(self, moment: dt.datetime) -> dt.datetime:
        """A random working moment of that day (or an earlier working day)."""
        per_day = calendar.working_minutes_per_day()
        day = timezone.localtime(moment).date()
        for _attempt in range(15):
            if calendar.is_workday(day):
                midnight = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
                snapped = calendar.add_working_minutes(midnight, self.rng.uniform(1, per_day - 1))
                if snapped < self.now:
                    return snapped
            day -= dt.timedelta(days=1)
        return moment

    # -- running ---------------------------------------------------------------------------

    def run(self, count: int) -> Stats:
        for plan in self.plans(count):
            self.make(plan)
        return self.stats

    def make(self, plan: Plan) -> HotlineOrder:
        rng, cast, arrived_at, scenario = self.rng, self.cast, plan.arrival, plan.scenario
        village = rng.choice(cast.villages)
        place = f"{village.name}{rng.choice(PLACES)}"
        month = timezone.localtime(arrived_at).month
        complex_order = False
        if scenario.needs == "remit":
            content, category, _reason, _basis = rng.choice(OUT_OF_REMIT)
            topic = None
            order_type: str = rng.choice([H, C])
            urgency: str = UrgencyClass.GENERAL
            title = ""
            complex_order = rng.random() < 0.3
        elif plan.topic is not None:
            topic, order_type, urgency = plan.topic, plan.order_type, plan.urgency
            category = topic.category
            title = rng.choice(topic.titles)
            content = rng.choice(topic.contents).format(place=place)
        else:
            topic = self._topic(scenario, month)
            order_type = self._type(topic, scenario)
            urgency = topic.urgency
            if urgency != UrgencyClass.GENERAL and order_type == E:
                urgency = UrgencyClass.GENERAL
            category = topic.category
            title = rng.choice(topic.titles)
            content = rng.choice(topic.contents).format(place=place)
        source = SourceSystem.DISTRICT if rng.random() < 0.8 else SourceSystem.CITY
        channel = rng.choices([Channel.API, Channel.IMPORT, Channel.MANUAL], weights=[75, 15, 10])[0]
        actor = cast.upstream if channel == Channel.API else self._center()
        anonymous = order_type in (C, R) and rng.random() < 0.15
        name, phone = ("", "") if anonymous else (self._name(), self._phone())
        data = OrderData(
            source_system=source,
            upstream_number=self._number(source, arrived_at),
            received_at=arrived_at - dt.timedelta(minutes=rng.uniform(3, 40)),
            order_type=order_type,
            urgency_class=urgency,
            content=content,
            title=title,
            upstream_category=category,
            address=place,
            petitioner_name=name,
            petitioner_phone=phone,
            petitioner_address="" if anonymous else f"天津市滨海新区太平镇{village.name}{rng.randint(1, 300)}号",
            anonymous=anonymous,
            complex=complex_order,
            town_code=cast.town.code,
        )
        order = services.order_receive(actor=actor, data=data, channel=channel, at=arrived_at).order
        self.stats.created += 1
        self.order_ids.append(order.pk)
        status = self._play(order, topic, scenario, arrived_at, plan.times).status
        self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
        return order

    def _topic(self, scenario: Scenario, month: int) -> Topic:
        pool = [t for t in self.topics if not t.months or month in t.months]
        if scenario.needs == "enquiry":
            pool = [t for t in pool if any(code == E for code, _w in t.types)]
        elif scenario.needs == "case":
            pool = [t for t in pool if t.case_category]
        elif scenario.needs == "praise":
            pool = [t for t in pool if t.key == "praise"]
        else:
            pool = [t for t in pool if t.key != "praise"]
        pool = pool or [t for t in self.topics if t.key != "praise"]
        return self.rng.choices(pool, weights=[t.weight for t in pool])[0]

    def _type(self, topic: Topic, scenario: Scenario) -> str:
        if scenario.needs == "enquiry":
            return E
        types = [code for code, _w in topic.types]
        weights = [w for _c, w in topic.types]
        if scenario.needs != "praise" and P in types and len(types) > 1:
            index = types.index(P)
            del types[index], weights[index]
        return self.rng.choices(types, weights=weights)[0]

    def _play(
        self,
        order: HotlineOrder,
        topic: Topic | None,
        scenario: Scenario,
        arrived_at: dt.datetime,
        times: list[dt.datetime] | None = None,
    ) -> HotlineOrder:
        """Play the scenario's steps (at the planned ``times`` of an open order planned back
        from now); returns the order as the last service call left it."""
        last = arrived_at
        for index, step in enumerate(scenario.steps):
            when = times[index] if times else self._when(order, step, last)
            if when is None:
                return order
            if when >= self.now:
                if not scenario.open:
                    return order  # the story has not got that far yet: the order stays open
                when = self._between(last)
                if when <= last:
                    return order
            try:
                result = self._act(order, topic, step, when)  # each service call is atomic
            except services.OrderError as error:
                # A step the services refuse (a window passed, a guard): the story ends here.
                self.stats.refused.append(f"{order.upstream_number} {step}: {error.code}")
                return order
            if result is None:
                return order
            order, last = result
        return order

    # -- timing ----------------------------------------------------------------------------

    def _calendar_step(self, order: HotlineOrder) -> bool:
        """Is the current step counted in calendar time (the minute-counted acknowledgements)?"""
        return order.status == OrderStatus.RECEIVED and order.urgency_class != UrgencyClass.GENERAL

    def _share(self, order: HotlineOrder, last: dt.datetime, low: float, high: float) -> dt.datetime:
        """A moment ``low``–``high`` of the way from the step's start (or ``last``) to its deadline."""
        start = max(order.step_started_at or last, last)
        deadline = order.step_deadline
        fraction = self.rng.uniform(low, high)
        if deadline is None or deadline <= start:
            return calendar.add_working_minutes(start, self.rng.uniform(20, 240))
        if self._calendar_step(order):
            return start + (deadline - start) * fraction
        total = max(calendar.working_minutes_between(start, deadline), 10)
        return calendar.add_working_minutes(start, total * fraction)

    def _when(self, order: HotlineOrder, step: str, last: dt.datetime) -> dt.datetime | None:
        """When ``step`` happens after ``last`` (``None``: its window has passed)."""
        when = self._moment(order, step, last)
        return None if when is None else max(when, last + dt.timedelta(minutes=1))

    def _moment(self, order: HotlineOrder, step: str, last: dt.datetime) -> dt.datetime | None:
        rng = self.rng
        if step in STEP_SHARE:
            low, high = STEP_SHARE[step]
            return self._share(order, last, low, high)
        if step in STEP_WORKING_MINUTES:
            return calendar.add_working_minutes(last, rng.uniform(*STEP_WORKING_MINUTES[step]))
        if step in STEP_WORKING_DAYS:
            per_day = calendar.working_minutes_per_day()
            return calendar.add_working_minutes(last, per_day * rng.uniform(*STEP_WORKING_DAYS[step]))
        if step == "approve":
            when = calendar.add_working_minutes(last, rng.uniform(15, 180))
            if order.reply_deadline is not None and last < order.reply_deadline < when:
                when = last + (order.reply_deadline - last) * rng.uniform(0.3, 0.9)
            return when
        if step == "close":
            return last + dt.timedelta(minutes=rng.uniform(5, 240))
        if step == "return":
            window = return_deadline(order)
            start = max(last, order.arrived_at)
            return start + (window - start) * rng.uniform(0.2, 0.8) if window > start else None
        raise ValueError(f"unknown step {step}")

    def _between(self, last: dt.datetime) -> dt.datetime:
        """A moment between ``last`` and now, in working time if there is any."""
        room = calendar.working_minutes_between(last, self.now)
        if room >= 2:
            return calendar.add_working_minutes(last, room * self.rng.uniform(0.2, 0.6))
        return last + (self.now - last) * self.rng.uniform(0.2, 0.6)

    # -- acting ------------------------------------------------------------------------------

    def _lead(self, order: HotlineOrder) -> list[User]:
        if not self._department_codes:
            self._department_codes = dict(Department.objects.values_list("pk", "code"))
        code = self._department_codes.get(order.lead_department_id or 0, "")
        return self.cast.handlers.get(code) or self.cast.center

    def _act(
        self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime
    ) -> tuple[HotlineOrder, dt.datetime] | None:
        """Take ``step`` on the order at ``when`` (``None``: the step does not happen)."""
        if step == "close" and order.status == OrderStatus.CLOSED:
            return order, when
        result = self._step(step)(order, topic, step, when)
        if result is None:
            return None
        order, when = result
        self.stats.actions += 1
        if step in SENDS:
            self.sent_at.append(when)
        return order, when

    def _step(self, step: str) -> StepTaker:
        takers: dict[str, StepTaker] = {
            "ack": self._acknowledge,
            "ack_late": self._acknowledge,
            "instruct": self._instruct,
            "draft": self._draft,
            "draft_late": self._draft,
            "reject": self._reject,
            "approve": self._approve,
            "return": self._return,
            "extension": self._extension,
            "extension_ok": self._extension_ok,
            "remind": self._remind,
            "supervise": self._supervise,
            "callback": self._callback,
            "callback_unsolved": self._callback,
            "callback_bad": self._callback,
            "close_bad": self._callback,
            "close": self._close,
            "case": self._case_step,
            "case_open": self._case_step,
        }
        if step not in takers:
            raise ValueError(f"unknown step {step}")
        return takers[step]

    def _acknowledge(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        return services.order_act(order_id=order.pk, action="acknowledge", actor=self._center(), at=when), when

    def _instruct(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        rng, cast = self.rng, self.cast
        assert topic is not None
        codes = [code for code in topic.departments if code in cast.handlers] or [topic.departments[0]]
        if len(codes) > 1 and rng.random() < 0.5:
            codes = codes[:1]
        if order.order_type == E and rng.random() < 0.7:
            order = services.order_act(
                order_id=order.pk, action="assign", actor=self._center(), departments=codes, at=when
            )
            return order, when
        department = self._department_name(codes[0])
        order = services.order_act(
            order_id=order.pk,
            action="instruct",
            actor=rng.choice(cast.leaders),
            instruction=rng.choice(INSTRUCTIONS).format(dept=department),
            departments=codes,
            at=when,
        )
        return order, when

    def _draft(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        rng = self.rng
        assert topic is not None
        text = rng.choice(REDO_REPLIES) if order.reopen_count else rng.choice(topic.replies)
        if order.case_id is not None:
            # The reply waits for the case: some time after its closure.
            closed_at = order.case.closed_at if order.case is not None else None
            if closed_at is None:
                return None
            when = max(when, closed_at + dt.timedelta(minutes=rng.uniform(30, 240)))
            if when >= self.now:
                return None
        actor = rng.choice(self._lead(order))
        return services.order_act(order_id=order.pk, action="draft_reply", actor=actor, text=text, at=when), when

    def _reject(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        actor = self._center()
        order = services.order_act(
            order_id=order.pk, action="reject_draft", actor=actor, comment=self.rng.choice(REJECTIONS), at=when
        )
        return order, when

    def _approve(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        return services.order_act(order_id=order.pk, action="approve_reply", actor=self._center(), at=when), when

    def _return(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        _content, _category, reason, basis = next(
            (item for item in OUT_OF_REMIT if item[0] == order.content), OUT_OF_REMIT[0]
        )
        order = services.order_act(
            order_id=order.pk, action="return_upstream", actor=self._center(), reason=reason, basis=basis, at=when
        )
        return order, when

    def _extension(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        rng = self.rng
        if order.reply_deadline is None or when >= order.reply_deadline:
            return None
        until = calendar.add_working_days(order.reply_deadline, rng.randint(5, 10))
        order = services.order_act(
            order_id=order.pk,
            action="request_extension",
            actor=rng.choice(self._lead(order)),
            reason=rng.choice(EXTENSION_REASONS),
            until=until,
            at=when,
        )
        return order, when

    def _extension_ok(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        pending = order.extension
        answer = pending.until.isoformat() if pending is not None else None
        return self._event(order, "extension_answer", {"approved": True, "until": answer}, when), when

    def _remind(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        actor = self._center()
        order = services.order_act(
            order_id=order.pk, action="remind", actor=actor, comment=self.rng.choice(REMINDERS), at=when
        )
        return order, when

    def _supervise(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        return self._event(order, "supervise", {"comment": self.rng.choice(SUPERVISIONS)}, when), when

    def _callback(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        """A call-back (``callback``, ``callback_unsolved``, ``callback_bad``) or a closure with a
        bad call-back (``close_bad``)."""
        rng = self.rng
        if step == "callback":
            rating = Satisfaction.SATISFIED if rng.random() < 0.78 else Satisfaction.BASICALLY_SATISFIED
            solved = True
        elif step == "callback_unsolved":
            rating, solved = Satisfaction.BASICALLY_SATISFIED, False
        else:
            rating, solved = Satisfaction.DISSATISFIED, False
        data = {"satisfaction": rating, "solved": solved, "comment": rng.choice(CALLBACK_COMMENTS[rating])}
        # Upstream often closes the order with the call-back's result in one message.
        closing = step == "close_bad" or (step in ("callback", "callback_unsolved") and rng.random() < 0.5)
        return self._event(order, "close" if closing else "callback", data, when), when

    def _close(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        return self._event(order, "close", {"comment": "工单已办结。"}, when), when

    def _case_step(self, order: HotlineOrder, topic: Topic | None, step: str, when: dt.datetime) -> Taken:
        assert topic is not None
        return self._case(order, topic, when, finish=step == "case")

    def _event(self, order: HotlineOrder, kind: str, data: dict[str, Any], when: dt.datetime) -> HotlineOrder:
        event_id = f"demo-{order.upstream_number}-{kind}-{len(self.sent_at)}-{self.stats.actions}"
        return services.order_event(
            order_id=order.pk, actor=self.cast.upstream, event_type=kind, data=data, event_id=event_id, at=when
        )

    def _case(
        self, order: HotlineOrder, topic: Topic, when: dt.datetime, *, finish: bool
    ) -> tuple[HotlineOrder, dt.datetime] | None:
        """Create the order's case in a grid of its village and run it through the case loop
        (to its closure, or a few steps for a case still running)."""
        village = next((v for v in self.cast.villages if order.address.startswith(v.name)), self.cast.villages[0])
        grid = self.rng.choice(self.cast.grids_of[village.pk])
        order = services.order_act(
            order_id=order.pk,
            action="create_case",
            actor=self._center(),
            grid_id=grid.pk,
            category=topic.case_category,
            at=when,
        )
        self.stats.cases += 1
        generator = self._cases()
        if generator is None:
            return order, when
        assert order.case_id is not None
        case = Case.objects.get(pk=order.case_id)
        scenario = CASE_SCENARIOS["closed" if finish else "open_in_progress"]
        generator.now = self.now
        generator._play(case, scenario, when)
        order.refresh_from_db()
        return order, when

    def _cases(self) -> CaseGenerator | None:
        """The case demo's generator (its cast of grid staff and departments), made once."""
        if self._case_generator is None:
            try:
                self._case_generator = CaseGenerator(
                    CaseCast.load(self.cast.town.code), seed=self.rng.randrange(10**9), now=self.now
                )
            except ValueError:
                self._case_generator = False
        return self._case_generator or None

    # -- people and numbers ---------------------------------------------------------------------

    def _department_name(self, code: str) -> str:
        if not self._department_names:
            self._department_names = dict(Department.objects.values_list("code", "name"))
        return self._department_names.get(code, code)

    def _center(self) -> User:
        center = self.cast.center
        return center[0] if self.rng.random() < 0.5 else self.rng.choice(center)

    def _name(self) -> str:
        given = "".join(self.rng.choice(GIVEN_CHARS) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def _phone(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def _number(self, source: str, arrived_at: dt.datetime) -> str:
        """Upstream order numbers like the hotline's: a prefix, the date, a serial."""
        day = timezone.localtime(arrived_at).strftime("%Y%m%d")
        prefix = "BH" if source == SourceSystem.DISTRICT else "TJ"
        while True:
            number = f"{prefix}{day}{self.rng.randrange(10_000):04d}"
            if number not in self.numbers:
                self.numbers.add(number)
                return number


# --- The demo ------------------------------------------------------------------------------


def load_demo_hotline(
    *,
    count: int = DEFAULT_ORDER_COUNT,
    seed: int = DEMO_HOTLINE_SEED,
    now: dt.datetime | None = None,
    allow_production_db: bool = False,
) -> int:
    """Create ``count`` historical demo orders in the demo town; returns how many were made.

    Does nothing (returns 0) when any order exists already, so it is safe to run again. Needs
    the demo's areas, people and categories (:func:`gridgov.demo.loader.load_demo`); best run
    after the case history (``load_demo`` does), whose check for an empty case table the
    orders' linked cases would otherwise satisfy.
    """
    check_allowed(allow_production_db=allow_production_db)
    if HotlineOrder.objects.exists():
        return 0
    return generate_demo_orders(count=count, seed=seed, now=now).created


def generate_demo_orders(*, count: int, seed: int = DEMO_HOTLINE_SEED, now: dt.datetime | None = None) -> Stats:
    """Make the orders in one transaction; the in-app notifications the history sends are
    marked read (they are old news) and its upstream messages recorded as delivered."""
    with transaction.atomic():
        cast = Cast.load(TOWN_CODE if Area.objects.current().filter(code=TOWN_CODE).exists() else None)
        generator = OrderGenerator(cast, seed=seed, now=now)
        stats = generator.run(count)
        # Its messages upstream were delivered long ago: record them, do not send them again.
        history_settle(order_ids=generator.order_ids, sent_at=generator.sent_at, now=generator.now)
        readers = get_user_model().objects.filter(
            is_active=True, role_assignments__isnull=False, notifications__read_at__isnull=True
        )
        for user in readers.distinct():
            mark_read(actor=user)
    if stats.refused:
        logger.warning("Demo hotline steps refused by the services: %s", "; ".join(stats.refused[:20]))
    return stats
