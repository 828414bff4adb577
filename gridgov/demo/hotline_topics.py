"""What the demo's hotline orders are about: topics with their upstream category, order types,
urgency, the departments that reply, the case category when field work is needed, and the
texts of calls, replies and the other steps (Chinese, as the district hotline writes them).
``{place}`` in a text is filled with a place in one of the town's villages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gridgov.hotline.models import OrderType, Satisfaction, UrgencyClass

E, H, S, C, R, P = (
    OrderType.ENQUIRY,
    OrderType.HELP,
    OrderType.SUGGESTION,
    OrderType.COMPLAINT,
    OrderType.REPORT,
    OrderType.PRAISE,
)

# --- Topics -----------------------------------------------------------------------------------

# How the hotline's summary of a call says what the caller wants, by order type: an order's
# content uses its own type's word (and no other type's), so a 求助 order never reads 来电人咨询.
TYPE_WORDS: Final[dict[str, str]] = {E: "咨询", H: "求助", S: "建议", C: "投诉", R: "举报", P: "表扬"}


@dataclass(frozen=True)
class Call:
    """One kind of call about a topic: its order type, the title the hotline gave it, what the
    caller said (``{place}``: a place in one of the town's villages) and the reply that answers
    exactly that. ``category``: the upstream category when it is not the topic's."""

    order_type: str
    title: str
    content: str
    reply: str
    weight: float = 1.0
    category: str = ""


@dataclass(frozen=True)
class Topic:
    """What an order is about: its upstream category, urgency, the town department that leads
    the reply (and any that cooperate), the case category when field work is needed, and the
    calls that come in about it, each one coherent scenario (type, title, content, reply)."""

    key: str
    weight: float
    category: str
    departments: tuple[str, ...]
    calls: tuple[Call, ...]
    urgency: str = UrgencyClass.GENERAL
    case_category: str = ""
    # Months of the year when the topic comes up (empty: all year).
    months: tuple[int, ...] = ()

    @property
    def types(self) -> tuple[tuple[str, float], ...]:
        """The order types of its calls with their total weights."""
        totals: dict[str, float] = {}
        for call in self.calls:
            totals[call.order_type] = totals.get(call.order_type, 0) + call.weight
        return tuple(totals.items())


TOPICS: Final[tuple[Topic, ...]] = (
    Topic(
        "road",
        8,
        "城乡建设/道路桥梁",
        ("planning",),
        (
            Call(
                H,
                "道路破损坑洼",
                "来电人求助：{place}附近路面坑洼不平，雨后积水，电动车和行人通行困难，希望尽快修复。",
                "经规划建设办公室现场核实，该路段确有破损。已安排施工队对坑洼路面进行修补，"
                "目前已修复完毕，恢复正常通行。已电话告知来电人。",
                3,
            ),
            Call(
                C,
                "路面塌陷",
                "来电人投诉{place}一段水泥路面开裂塌陷，反映多次无人处理，夜间行车存在安全隐患。",
                "经核实，该路段已列入今年村内道路提升改造计划，施工前已先行对塌陷处进行临时修补并设置警示标志，"
                "确保通行安全。已向来电人说明情况，来电人表示理解。",
                3,
            ),
            Call(
                S,
                "村内道路积水",
                "来电人建议对{place}道路两侧排水沟进行修整，该处排水不畅，每逢下雨路面积水严重。",
                "感谢来电人的建议。经现场查看，已安排对该段排水沟进行清淤疏通，并将修整排水沟纳入明年村内道路维修计划。",
                2,
            ),
        ),
        case_category="facilities.road_damage",
    ),
    Topic(
        "streetlight",
        5,
        "城乡建设/路灯照明",
        ("planning",),
        (
            Call(
                H,
                "路灯不亮",
                "来电人求助：{place}一带路灯已经一周不亮，晚上出行不便，老人孩子容易摔倒，希望尽快维修。",
                "经现场检查，系路灯线路老化短路。已更换线路和灯具，目前路灯恢复正常照明，已告知来电人。",
                3,
            ),
            Call(
                C,
                "路灯白天亮晚上不亮",
                "来电人投诉{place}路灯白天亮、晚上不亮，控制器可能故障，浪费电且影响夜间照明，已反映多次。",
                "已联系维修单位更换路灯控制器，现已按时开关灯。后续纳入日常巡查。",
                2,
            ),
        ),
        case_category="facilities.streetlight",
    ),
    Topic(
        "property",
        8,
        "住房保障/物业管理",
        ("planning",),
        (
            Call(
                C,
                "电梯故障无人维修",
                "来电人投诉{estate}电梯频繁故障，物业报修后迟迟不修，老年住户上下楼困难，要求督促物业处理。",
                "规划建设办公室已约谈小区物业公司，责令其三日内完成电梯维修并公示维保记录。"
                "目前电梯已恢复运行，已电话回复来电人。",
                3,
            ),
            Call(
                C,
                "物业服务不到位",
                "来电人投诉{estate}物业服务不到位，楼道堆放杂物无人清理，小区垃圾清运不及时，要求物业履行服务职责。",
                "经协调，物业公司已增加保洁人员，楼道杂物已清理完毕，垃圾实行日产日清。后续将加强对物业服务的监督检查。",
                3,
            ),
            Call(
                H,
                "物业收费问题",
                "来电人求助：{estate}物业收取停车管理费，收费标准不公开，业主有异议，希望有关部门帮助核查。",
                "经核查，该小区停车管理费已按规定备案。已要求物业在小区公告栏公开收费依据和标准，并向来电人作了解释。",
                2,
            ),
        ),
    ),
    Topic(
        "heating",
        6,
        "城市管理/供热",
        ("planning",),
        (
            Call(
                H,
                "暖气不热",
                "来电人求助：{place}家中暖气不热，室温只有十四五度，家中有老人，希望供热单位上门检查。",
                "经协调供热单位上门检测，系户内管道存气导致暖气不热。已为来电人排气处理，复测室温达到18℃以上，来电人认可。",
                5,
            ),
            Call(
                C,
                "室温不达标",
                "来电人投诉{place}楼栋暖气片上热下凉，室温不达标，多次联系供热站未解决。",
                "已协调供热站对该楼栋管网进行平衡调节，目前各户室温达标。已告知来电人如有问题可直接联系供热站。",
                3,
            ),
            Call(
                E,
                "供热咨询",
                "来电人咨询{place}今年供热开始时间和供热费缴纳方式。",
                "已电话答复来电人：本供热季自11月15日起正式供热，供热费可在供热站营业厅或通过手机APP缴纳。",
                2,
            ),
        ),
        urgency=UrgencyClass.UTILITIES,
        months=(11, 12, 1, 2, 3),
    ),
    Topic(
        "water",
        7,
        "城市管理/供水",
        ("water",),
        (
            Call(
                H,
                "停水无通知",
                "来电人求助：{place}从昨天晚上开始停水，事先没有接到通知，希望尽快恢复供水。",
                "经供水公司太平营业所核实，停水系主管道抢修所致。目前管道已修复，供水已恢复正常。"
                "今后计划停水将提前在村务公开栏和微信群通知。",
                3,
            ),
            Call(
                C,
                "水压低",
                "来电人投诉{place}一带自来水水压长期偏低，楼上住户基本没有水，影响正常生活。",
                "经供水公司检测，该片区管网末端压力不足。已调整加压泵站运行时段，目前楼上住户用水正常。已告知来电人。",
                2,
            ),
            Call(
                H,
                "供水管道漏水",
                "来电人求助：{place}路边供水管道漏水，水流到路面上，已持续两天，希望派人维修。",
                "已安排人员对漏水管道进行开挖维修，现已修复并恢复路面。已告知来电人。",
                3,
            ),
            Call(
                E,
                "停水时间咨询",
                "来电人咨询{place}近期是否有计划停水，停水时间多长。",
                "已电话答复来电人：供水公司计划于本周四9时至16时对该片区管网进行检修，届时停水，停水通知已在村务公开栏张贴。",
                2,
            ),
        ),
        urgency=UrgencyClass.UTILITIES,
        case_category="facilities.water_supply",
    ),
    Topic(
        "power",
        3,
        "城市管理/供电",
        ("power",),
        (
            Call(
                H,
                "频繁停电",
                "来电人求助：{place}最近一周频繁停电，家里电器受损，希望查明原因。",
                "经供电服务站排查，系台区变压器负荷过重。已调整负荷并更换老化线路，目前供电正常。",
                7,
            ),
            Call(
                C,
                "电压不稳",
                "来电人投诉{place}晚上用电高峰电压不稳，灯光忽明忽暗，空调无法启动。",
                "经供电服务站检测，该台区高峰时段电压偏低。已对台区进行增容改造，目前电压稳定。已告知来电人。",
                3,
            ),
        ),
        urgency=UrgencyClass.UTILITIES,
    ),
    Topic(
        "gas",
        2,
        "城市管理/燃气",
        ("gas", "emergency"),
        (
            Call(
                H,
                "疑似燃气泄漏",
                "来电人求助：{place}楼道内有明显燃气味，担心泄漏，要求立即派人检查。",
                "接报后燃气公司抢修人员到场检测，系楼道内阀门密封老化轻微泄漏，已更换阀门并复测无泄漏。",
                5,
            ),
            Call(
                R,
                "燃气管道隐患",
                "来电人举报{place}沿街餐馆燃气管道私自改装，软管老化，存在安全隐患。",
                "应急管理办公室会同燃气公司对该餐馆进行检查，责令其停用私改管道，已按规范整改完毕。",
                5,
            ),
        ),
        urgency=UrgencyClass.LIFE_SAFETY,
    ),
    Topic(
        "noise",
        7,
        "生态环境/噪声污染",
        ("environment", "police_station"),
        (
            Call(
                R,
                "夜间施工噪声扰民",
                "来电人举报{place}附近工地夜间十点以后仍在施工，噪声很大，影响休息，要求制止。",
                "生态环境办公室已到现场调查，责令施工单位夜间22时后停止高噪声作业，并在工地公示施工时间。"
                "经回访，夜间施工已停止。",
                3,
            ),
            Call(
                C,
                "广场舞噪声",
                "来电人投诉{place}广场每天晚上跳广场舞音响声音过大，持续到九点半以后，希望协调。",
                "已会同村委会与广场舞队伍负责人沟通，约定音量控制和结束时间（21时前）。后续由网格员跟踪。",
                4,
            ),
            Call(
                C,
                "商铺高音喇叭",
                "来电人投诉{place}沿街商铺用高音喇叭循环播放促销广告，噪声扰民。",
                "已对商铺负责人进行劝导教育，商铺已撤除室外喇叭。",
                3,
            ),
        ),
    ),
    Topic(
        "stall",
        9,
        "城市管理/占道经营",
        ("urban_mgmt",),
        (
            Call(
                C,
                "流动摊贩占道经营",
                "来电人投诉{place}路口每天早上有流动摊贩占道经营，堵塞交通，垃圾遍地，要求治理。",
                "镇综合行政执法大队已对该处占道经营进行整治，劝离流动摊贩，并引导其进入便民市场经营。"
                "目前路口通行秩序良好，将持续巡查防止反弹。",
                4,
            ),
            Call(
                R,
                "夜市油烟",
                "来电人举报{place}附近夜市摊位占用人行道，烧烤油烟和噪声影响周边居民。",
                "已对夜市摊位进行规范，划定经营区域和时间，要求摊主使用油烟净化设备。已回复来电人。",
                3,
            ),
            Call(
                S,
                "早市占道",
                "来电人建议对{place}早市占道进行规范，早市摊位摆到了车行道上，建议划定摊位区域。",
                "感谢来电人的建议。已会同村委会在该处划定早市临时摊位区，规定经营时间为6时至8时，由执法队员和网格员巡查。",
                1,
            ),
        ),
        case_category="appearance.street_vendor",
    ),
    Topic(
        "parking",
        8,
        "交通运输/停车管理",
        ("traffic_police",),
        (
            Call(
                C,
                "车辆长期占道停放",
                "来电人投诉{place}有车辆长期停放在路边，占用车道，导致车辆会车困难。",
                "交警太平中队已到现场，联系车主将车辆移走，并在该路段加强巡查，对违停车辆依法处理。",
                4,
            ),
            Call(
                C,
                "堵塞消防通道",
                "来电人投诉{estate}消防通道被私家车堵塞，存在安全隐患。",
                "交警太平中队已到现场，通知车主将车辆驶离，并会同物业在消防通道施划禁停标线、设置警示牌。",
                2,
            ),
            Call(
                H,
                "废弃车辆长期停放",
                "来电人求助：{place}有一辆无牌车辆停放数月，车身破损，疑似废弃车辆，希望帮助清理。",
                "经核实，该车辆为废弃车辆，已张贴限期移车通知，逾期后依法拖移。已告知来电人。",
                2,
            ),
            Call(
                S,
                "增设停车位",
                "来电人建议在{place}附近增设停车位，周边停车难，车辆只能停在路边。",
                "感谢来电人的建议。已会同村委会对周边空地进行摸排，拟利用闲置场地施划临时停车位。",
                2,
            ),
        ),
        case_category="parking.long_term",
    ),
    Topic(
        "garbage",
        5,
        "城市管理/环境卫生",
        ("sanitation",),
        (
            Call(
                C,
                "垃圾清运不及时",
                "来电人投诉{place}垃圾桶满溢好几天没人清运，气味难闻，蚊蝇滋生。",
                "环卫绿化服务中心已安排车辆清运，现场已清理干净，并增加该点位清运频次。",
                5,
            ),
            Call(
                H,
                "路边垃圾堆",
                "来电人求助：{place}路边有人倾倒生活垃圾和装修垃圾，形成垃圾堆，希望尽快清理。",
                "已清理路边垃圾堆，并在该处设置警示牌，由网格员加强巡查。",
                5,
            ),
        ),
        case_category="appearance.garbage",
    ),
    Topic(
        "wage",
        4,
        "劳动和社会保障/劳资纠纷",
        ("social_affairs",),
        (
            Call(
                H,
                "拖欠农民工工资",
                "来电人求助：其在{place}一处工地务工，工程结束后包工头拖欠工资两个多月未结清，希望帮助讨薪。",
                "社会事务办公室已约谈施工单位和劳务负责人，经协调，拖欠工资已于本周全额支付，来电人已确认收到。",
                6,
            ),
            Call(
                C,
                "工资未结清",
                "来电人投诉{place}某企业辞退员工后未结清最后一个月工资。",
                "经调解，企业同意在十个工作日内结清工资。已告知来电人，如到期未付可申请劳动仲裁。",
                4,
            ),
        ),
    ),
    Topic(
        "policy",
        6,
        "劳动和社会保障/政策咨询",
        ("social_affairs",),
        (
            Call(
                E,
                "城乡居民医保缴费咨询",
                "来电人咨询城乡居民医疗保险今年的缴费标准和缴费截止时间，户籍在{village}。",
                "已电话答复来电人：城乡居民医保可通过手机APP或到村便民服务站缴纳，截止时间以区医保部门通知为准。",
            ),
            Call(
                E,
                "养老保险认证咨询",
                "来电人咨询在{place}居住的老人办理养老金资格认证的方式。",
                "已告知来电人可通过手机APP进行人脸识别认证，行动不便的老人可联系村便民服务站上门认证。",
            ),
            Call(
                E,
                "低保申请咨询",
                "来电人咨询家庭困难如何申请低保，居住在{place}。",
                "已告知来电人低保申请需携带身份证、户口簿和收入证明到村委会提交申请，并说明审核流程。",
            ),
        ),
    ),
    Topic(
        "market",
        3,
        "市场监管/食品安全",
        ("market",),
        (
            Call(
                R,
                "超市销售过期食品",
                "来电人举报在{place}一家超市购买的面包已过保质期，要求查处。",
                "太平市场监管所已对该超市进行检查，下架过期食品并立案调查，已督促商家为来电人退货赔偿。",
                6,
            ),
            Call(
                C,
                "商户缺斤短两",
                "来电人投诉{place}一家水果店缺斤短两，商品未明码标价。",
                "已对该商户进行检查，责令其明码标价并校准计量器具，依法予以处理。",
                4,
                category="市场监管/价格计量",
            ),
        ),
    ),
    Topic(
        "burning",
        3,
        "生态环境/大气污染",
        ("environment",),
        (
            Call(
                R,
                "露天焚烧",
                "来电人举报{place}附近农田有人焚烧秸秆和垃圾，浓烟很大。",
                "生态环境办公室会同村委会到现场扑灭明火，对焚烧人进行批评教育，并加强秸秆禁烧巡查。",
                6,
            ),
            Call(
                C,
                "餐饮油烟扰民",
                "来电人投诉{place}楼下餐馆油烟直排，油烟味进入居民家中。",
                "已责令餐馆安装油烟净化设施并定期清洗，整改完成后复查合格。",
                4,
            ),
        ),
        months=(6, 7, 8, 9, 10, 11),
    ),
    Topic(
        "praise",
        2,
        "其他/表扬",
        ("urban_mgmt",),
        (
            Call(
                P,
                "表扬网格员",
                "来电人表扬{place}网格员，帮助独居老人联系维修、代办事项，服务热情周到。",
                "感谢来电人对网格员工作的肯定，已转达表扬，我们将继续做好服务工作。",
            ),
            Call(
                P,
                "表扬执法队员",
                "来电人表扬镇执法队员处理{place}占道问题及时，态度好。",
                "感谢来电人对执法队员工作的肯定，已转达表扬，我们将继续做好服务工作。",
            ),
        ),
    ),
)
TOPIC_BY_KEY: Final = {topic.key: topic for topic in TOPICS}

# Matters outside the town's remit (returned upstream with reason and basis): content, upstream
# category, reason, basis, order type, title.
OUT_OF_REMIT: Final[tuple[tuple[str, str, str, str, str, str], ...]] = (
    (
        "来电人投诉塘沽城区某小区物业不作为，地址不在太平镇辖区。",
        "城乡建设/物业管理",
        "经核实，事发地位于其他街道，不属于本镇辖区。",
        "《天津市政务服务便民热线管理办法》第十五条：按属地原则转办。",
        C,
        "非本辖区物业问题",
    ),
    (
        "来电人求助：要求法院尽快执行判决，追回借款。",
        "政法/司法执行",
        "该事项属于人民法院执行职责，不属于镇级职权范围。",
        "《中华人民共和国民事诉讼法》关于执行程序的规定，由人民法院负责。",
        H,
        "判决执行问题",
    ),
    (
        "来电人投诉高速公路服务区收费过高。",
        "交通运输/高速公路",
        "高速公路管理不属于镇政府职责，应由高速公路管理部门办理。",
        "《收费公路管理条例》：收费公路由交通运输主管部门监管。",
        C,
        "高速公路服务区收费",
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
# The residential estates a complaint about an estate names (with its village), in turn by village.
ESTATES: Final = ("幸福里小区", "安居苑小区", "锦绣家园", "和谐小区")
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
