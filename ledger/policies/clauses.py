"""The seed clauses behind each rule of the default rulebook ``service-standard``.

Every rule id of ``shared/RULEBOOK.md`` maps to one or more :class:`Clause` objects, the first
being the primary one. ``Clause.text`` is a verbatim substring of the seed file named by
``Clause.seed`` (scraped regulation texts in ``shared/seeds/``), oddities included: the
pinyin glosses of seed 001 (``服務(wù)``), its garbled characters (``適當?shù)莫剟睢``) and
the line breaks of seed 000. Do not "fix" a quote; ``tests/unit/test_clauses.py`` checks each
one against its seed file.

Section pointers follow the numbering of the seed; for seed 000, a collection of several
documents, the pointer starts with the title of the document it belongs to.

ATT-02 and PAY-01 rest on PRC law (劳动合同法 第39条, 工资支付暂行规定 第16条) rather than on
the seeds; their clauses cite the closest seed passage and name the law in ``gloss``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = [
    "CLAUSES",
    "SEED_000",
    "SEED_001",
    "SEED_002",
    "SEED_003",
    "SEED_004",
    "Clause",
]

SEED_000: Final = "000_7e493357c9b270e4.txt"
"""A collection of 公司优质服务规范细则 texts (service standards, 三不准 / 四不准, checks)."""
SEED_001: Final = "001_6fe9d683d49348b3.txt"
"""服務到位服從管理制度 (traditional characters with inline pinyin)."""
SEED_002: Final = "002_46624b0ada36de4f.txt"
"""客户服务五要素细则."""
SEED_003: Final = "003_43e159517f9c6ad1.txt"
"""公司服务规范 (attitude, phone etiquette)."""
SEED_004: Final = "004_998454e574dc36de.txt"
"""服务规章制度 (first-enquiry rule, complaint deadlines, monthly checks, 360-degree review)."""


@dataclass(frozen=True, slots=True)
class Clause:
    """One seed passage that a rule implements."""

    seed: str
    """Seed file name, e.g. ``"001_6fe9d683d49348b3.txt"``."""
    section: str
    """Section pointer as numbered in the seed, e.g. ``"三.(二).2 工作紀律"``."""
    text: str
    """Verbatim quote: an exact substring of the seed file (20-200 characters)."""
    gloss: str
    """Short English gloss of the quote (and the law relied on, where the seed is not enough)."""


CLAUSES: Mapping[str, tuple[Clause, ...]] = MappingProxyType(
    {
        "ATT-01": (
            Clause(
                seed=SEED_001,
                section="三.(二).2 工作紀律",
                text=(
                    "遵守工作時間,不得遲到、早退或曠工。如有特殊情況需要請假,應(yīng)按照公司的請"
                    "假流程提前辦理請假手續(xù)。"
                ),
                gloss=(
                    "Keep working hours: no late arrival, early departure or absenteeism; leave "
                    "needs a request made in advance through the leave procedure (so leave taken "
                    "earns no points)."
                ),
            ),
            Clause(
                seed=SEED_000,
                section="公司服务规范细则 一.4",
                text="认真履行岗位职责,遵守劳动纪律,不擅自离岗、脱岗,不迟到早退",
                gloss=(
                    "Observe labour discipline: do not leave one's post without permission, do "
                    "not arrive late or leave early."
                ),
            ),
        ),
        "ATT-02": (
            Clause(
                seed=SEED_001,
                section="三.(二).2 工作紀律",
                text="2.工作紀律遵守工作時間,不得遲到、早退或曠工。",
                gloss=(
                    "Work discipline forbids absenteeism (曠工). The legal basis for "
                    "recommending dismissal is PRC law, not the seed: 劳动合同法 第39条 (serious "
                    "breach of the employer's rules lets the employer terminate); the ledger "
                    "only recommends, a human decides."
                ),
            ),
            Clause(
                seed=SEED_001,
                section="三.(三).3 懲罰措施",
                text=(
                    "對多次違反服從管理制度且屢教不改的員工,公司將予以辭退處理,以維護公司管理制度"
                    "的嚴肅性。"
                ),
                gloss=(
                    "Employees who breach the rules repeatedly and do not mend their ways are "
                    "dismissed (read with 劳动合同法 第39条)."
                ),
            ),
        ),
        "SVC-01": (
            Clause(
                seed=SEED_000,
                section="公司服务规范细则 二.6",
                text=(
                    "凡公司员工,只要发生用户投诉经查属实的,除按照公司有关规定处理外,本人要向用户"
                    "赔礼、\n道歉。"
                ),
                gloss=(
                    "A customer complaint that is verified on investigation is dealt with under "
                    "company rules, and the employee must also apologise to the customer."
                ),
            ),
            Clause(
                seed=SEED_001,
                section="二.(三).3 服務評估",
                text=(
                    "對服務(wù)質(zhì)量不達標的員工進行輔導(dǎo)、培訓(xùn)或采取相應(yīng)的懲"
                    "罰措施,如警告、罰款、降職等。"
                ),
                gloss=(
                    "Staff whose service falls below standard get coaching, training or "
                    "penalties such as a warning, a fine or demotion."
                ),
            ),
        ),
        "SVC-02": (
            Clause(
                seed=SEED_004,
                section="一.(3) 总则",
                text="在处理客户投诉时,我司规定必须在24小时内给予回复,并在48小时内解决客户问题。",
                gloss=(
                    "A customer complaint must be replied to within 24 hours (and resolved "
                    "within 48 hours)."
                ),
            ),
            Clause(
                seed=SEED_000,
                section="公司优质服务规范细则范文 第四条(四)",
                text="对用户的咨询、投诉等不推诿,不拒绝,不搪塞,及时耐心准确地给予解答",
                gloss=(
                    "Do not shirk, refuse or stall customers' enquiries and complaints; answer "
                    "them promptly, patiently and accurately."
                ),
            ),
        ),
        "SVC-03": (
            Clause(
                seed=SEED_004,
                section="一.(3) 总则",
                text="在处理客户投诉时,我司规定必须在24小时内给予回复,并在48小时内解决客户问题。",
                gloss=(
                    "A customer complaint must be resolved within 48 hours (after a reply within "
                    "24 hours)."
                ),
            ),
            Clause(
                seed=SEED_004,
                section="三.(3) 监督与考核",
                text="该机制要求在接到投诉后的24小时内启动调查,并在72小时内给出解决方案。",
                gloss=(
                    "Variant: start investigating within 24 hours of a complaint and give a "
                    "solution within 72 hours (the 72 h alternative of the SVC-03 parameter)."
                ),
            ),
        ),
        "SVC-04": (
            Clause(
                seed=SEED_004,
                section="二.(1) 服务流程与规范",
                text=(
                    "我们实施“首问责任制”,要求每位员工在接到客户咨询时,必须在5分钟内给予明确回应。"
                ),
                gloss=(
                    "First-enquiry responsibility: every employee must give a clear response to "
                    "a customer enquiry within 5 minutes (300 seconds)."
                ),
            ),
            Clause(
                seed=SEED_003,
                section="4.2.1.2 电话联系",
                text="公事电话响后应及时接听,一般不得超过三声",
                gloss=(
                    "Business calls must be answered promptly, normally before the fourth ring "
                    "(at most three rings)."
                ),
            ),
        ),
        "SVC-05": (
            Clause(
                seed=SEED_000,
                section="公司服务规范细则 二.6",
                text=(
                    "凡公司员工,只要发生用户投诉经查属实的,除按照公司有关规定处理外,本人要向用户"
                    "赔礼、\n道歉。"
                ),
                gloss=(
                    "After a verified complaint the employee must apologise (赔礼道歉) to the "
                    "customer; an apology not made by its due time is itself sanctioned."
                ),
            ),
            Clause(
                seed=SEED_003,
                section="3.2.3 服务态度要求",
                text="服务工作中出现差错时不得强词夺理,应诚恳接受批评,主动致歉并立即纠正错误。",
                gloss=(
                    "When a service error occurs, do not argue; accept criticism sincerely, "
                    "apologise on one's own initiative and correct the error at once."
                ),
            ),
        ),
        "SVC-06": (
            Clause(
                seed=SEED_000,
                section="公司服务规范细则 三.1 检查与考核",
                text=(
                    "1、对《规范》的执行情况,“各科室每月进行一次自查。\n\n公司每季组织一次检查,并"
                    "进行不定期抽查。"
                ),
                gloss=(
                    "Compliance is checked by a monthly self-check in each department, a "
                    "quarterly company inspection and unscheduled spot checks."
                ),
            ),
            Clause(
                seed=SEED_004,
                section="三.(1) 监督与考核",
                text="每月进行一次全面的服务质量检查,覆盖客户服务、技术支持、售后服务等多个方面。",
                gloss=(
                    "A full service-quality inspection is held every month, covering customer "
                    "service, technical support and after-sales service."
                ),
            ),
        ),
        "CND-01": (
            Clause(
                seed=SEED_000,
                section="公司优质服务规范细则(五篇) 二.4 四不准",
                text=(
                    "(1)不准违章作业;(2)不准对用户失礼;(3)不准向用户吃、拿、卡、要;(4)不准向用户"
                    "乱收费、乱摊派。"
                ),
                gloss=(
                    "The four prohibitions: no operating against the rules, no discourtesy to "
                    "customers, no extorting customers (eat, take, obstruct, demand), no "
                    "arbitrary charges or levies."
                ),
            ),
            Clause(
                seed=SEED_000,
                section="公司优质服务规范细则(五篇) 一.5",
                text=(
                    "杜绝索拿卡要,严禁利用工作之便要挟、刁难、报复用户,不得私自收受用户礼品、现金。"
                ),
                gloss=(
                    "No extortion; never use one's position to coerce, obstruct or retaliate "
                    "against customers; never privately accept customers' gifts or cash."
                ),
            ),
            Clause(
                seed=SEED_000,
                section="公司服务规范细则 一.5",
                text="认真执行各项管理制度和业务操作规程,严禁在工作中弄虚作假,营私舞弊。",
                gloss=(
                    "Follow the management rules and operating procedures; falsification and "
                    "graft at work are strictly forbidden."
                ),
            ),
            Clause(
                seed=SEED_001,
                section="三.(二).2 工作紀律",
                text="保守公司機密,不得泄露公司的商業(yè)秘密、技術(shù)秘密、客戶信息等重要信息。",
                gloss=(
                    "Keep company secrets: do not disclose trade secrets, technical secrets, "
                    "customer information or other important information."
                ),
            ),
            Clause(
                seed=SEED_002,
                section="E、素养 业余生活",
                text="不参加 “ 黄 、 赌 、 毒 ” 活动 , 不养成低级兴趣",
                gloss=(
                    "Do not take part in pornography, gambling or drugs (黄赌毒). Seed 000 "
                    "公司服务规范细则 一.7 says the same (严禁进行黄、赌、毒行为) but is too "
                    "short to quote alone."
                ),
            ),
            Clause(
                seed=SEED_000,
                section="公司服务规范细则 一.2",
                text="举止得体,文明礼貌,自觉使用文明服务用语,不顶撞用户。",
                gloss=(
                    "Behave properly and courteously, use polite service language, never talk "
                    "back to customers."
                ),
            ),
        ),
        "CND-02": (
            Clause(
                seed=SEED_001,
                section="三.(二).2 工作紀律",
                text=(
                    "愛護公司財物,不得故意損壞公司的辦公設(shè)備、辦公用品及其他資產(chǎn)。如因"
                    "個人原因造成公司財物損壞,應(yīng)按照公司規(guī)定進行賠償。"
                ),
                gloss=(
                    "Take care of company property; whoever damages it for personal reasons "
                    "compensates the company under its rules."
                ),
            ),
        ),
        "OBD-01": (
            Clause(
                seed=SEED_001,
                section="三.(一).1 接受任務",
                text=(
                    "不得無故拒絕接受上級領(lǐng)導(dǎo)安排的工作任務(wù),如有特殊情況需要調(dià"
                    "o)整工作安排,應(yīng)提前向上級領(lǐng)導(dǎo)說明原因,并提出合理的替代方案,"
                    "經(jīng)上級領(lǐng)導(dǎo)批準后方可調(diào)整。"
                ),
                gloss=(
                    "Do not refuse an assigned task without cause; to change it, explain in "
                    "advance and propose a reasonable alternative, which applies only once the "
                    "superior approves it."
                ),
            ),
        ),
        "OBD-02": (
            Clause(
                seed=SEED_001,
                section="三.(一).1 接受任務",
                text=(
                    "對于上級領(lǐng)導(dǎo)下達的工作任務(wù),應(yīng)明確任務(wù)的目標、要求、"
                    "完成時間和質(zhì)量標準"
                ),
                gloss=(
                    "For each task assigned by a superior, be clear about its goal, "
                    "requirements, completion time (deadline) and quality standard."
                ),
            ),
            Clause(
                seed=SEED_000,
                section="公司服务规范细则 一.8",
                text="各部门工作人员不得积压公务,必须讲究工作效率,按时完成。",
                gloss="Staff must not let work pile up; work efficiently and finish on time.",
            ),
        ),
        "OBD-03": (
            Clause(
                seed=SEED_001,
                section="三.(一).2 執行任務",
                text=(
                    "對于重大問題或超出自己權(quán)限范圍的問題,應(yīng)及時向上級領(lǐng)導(dǎo)"
                    "請示,不得擅自做主。"
                ),
                gloss=(
                    "Major matters or matters beyond one's authority must be referred to the "
                    "superior; do not decide on one's own (擅自做主)."
                ),
            ),
        ),
        "OBD-04": (
            Clause(
                seed=SEED_001,
                section="三.(一).1 接受任務",
                text=(
                    "員工應(yīng)按時參加公司組織的各類會議、培訓(xùn)及工作安排會議,認真聽取工作"
                    "任務(wù)的部署和要求。"
                ),
                gloss=(
                    "Employees must attend company meetings, training sessions and work-planning "
                    "meetings on time."
                ),
            ),
        ),
        "REC-01": (
            Clause(
                seed=SEED_001,
                section="二.(三).3 服務評估",
                text=(
                    "根據(jù)服務(wù)評估結(jié)果,對表現(xiàn)優(yōu)秀的員工給予表彰和獎勵,如頒"
                    "發(fā)榮譽證書、獎金、晉升機會等"
                ),
                gloss=(
                    "Based on service evaluation (including customer ratings), excellent "
                    "performers receive commendation and rewards such as certificates, bonuses "
                    "and promotion chances."
                ),
            ),
            Clause(
                seed=SEED_001,
                section="五.(二).2 服務反饋處理",
                text=(
                    "同時,將客戶服務(wù)反饋情況作為員工服務(wù)考核的重要依據(jù),促使員工不斷提"
                    "高服務(wù)質(zhì)量。"
                ),
                gloss=(
                    "Customer feedback is an important basis for assessing an employee's service."
                ),
            ),
        ),
        "REC-02": (
            Clause(
                seed=SEED_001,
                section="五.(二).1 員工意見反饋",
                text="對于合理的意見和建議,應(yīng)積極采納并給予提出建議的員工適當?shù)莫剟睢",
                gloss=(
                    "Reasonable suggestions are adopted and the employee who made them gets an "
                    "appropriate reward (the seed text is garbled after 適當; read 適當的獎勵)."
                ),
            ),
        ),
        "REC-03": (
            Clause(
                seed=SEED_001,
                section="二.(三).1 監督機制",
                text="對于積極參與監(jiān)督并提供有效信息的員工,公司將給予適當?shù)莫剟睢",
                gloss=(
                    "Employees who take an active part in supervision and supply useful "
                    "information get an appropriate reward (the seed text is garbled after 適當; "
                    "read 適當的獎勵)."
                ),
            ),
        ),
        "REC-04": (
            Clause(
                seed=SEED_000,
                section="公司服务规范细则 二.6",
                text="及时表扬、奖励服务工作中的好人好事,严肃查处违规、违纪事件。",
                gloss=(
                    "Praise and reward good deeds in service work promptly; deal strictly with "
                    "violations."
                ),
            ),
            Clause(
                seed=SEED_001,
                section="三.(三).2 獎勵措施",
                text=(
                    "在公司內(nèi)部宣傳優(yōu)秀員工的先進事跡,樹立榜樣,激勵全體員工向優(yōu)秀"
                    "員工學(xué)習(xí)"
                ),
                gloss=(
                    "Publicise outstanding employees' exemplary deeds inside the company as a "
                    "model for all."
                ),
            ),
        ),
        "REC-05": (
            Clause(
                seed=SEED_001,
                section="三.(三).2 獎勵措施",
                text="對于服從意識強、工作表現(xiàn)優(yōu)秀的員工,公司將給予表彰和獎勵。",
                gloss=(
                    "Employees with strong obedience and excellent work are commended and "
                    "rewarded. No seed says a commendation offsets a warning (嘉奖抵消警告): the "
                    "offset is a rulebook choice."
                ),
            ),
            Clause(
                seed=SEED_001,
                section="三.(三).3 懲罰措施",
                text="對于違反服從管理制度的員工,根據(jù)情節(jié)輕重給予相應(yīng)的懲罰。",
                gloss=(
                    "Penalties are proportionate to the circumstances, so later merit may weigh "
                    "against an earlier minor penalty."
                ),
            ),
        ),
        "TRN-01": (
            Clause(
                seed=SEED_001,
                section="四.(一).1 新員工服務培訓",
                text=(
                    "培訓(xùn)結(jié)束后,對新員工進行服務(wù)知識和技能的考核,考核合格后方可正式"
                    "上崗。"
                ),
                gloss=(
                    "After training, new employees are assessed on service knowledge and skills "
                    "and may take up their post only after passing."
                ),
            ),
        ),
        "ESC-01": (
            Clause(
                seed=SEED_001,
                section="三.(三).3 懲罰措施",
                text=(
                    "對多次違反服從管理制度且屢教不改的員工,公司將予以辭退處理,以維護公司管理制度"
                    "的嚴肅性。"
                ),
                gloss=(
                    "Repeated breaches despite correction (屢教不改) are punished more severely, "
                    "up to dismissal; repeated warnings escalate to a demerit."
                ),
            ),
            Clause(
                seed=SEED_001,
                section="三.(三).3 懲罰措施",
                text=(
                    "對于違反服從管理制度的員工,根據(jù)情節(jié)輕重給予相應(yīng)的懲罰。懲罰措"
                    "施包括但不限于警告、罰款、降職、辭退等。"
                ),
                gloss="Penalties are graded by seriousness: warning, fine, demotion, dismissal.",
            ),
        ),
        "ESC-02": (
            Clause(
                seed=SEED_001,
                section="三.(三).3 懲罰措施",
                text=(
                    "對多次違反服從管理制度且屢教不改的員工,公司將予以辭退處理,以維護公司管理制度"
                    "的嚴肅性。"
                ),
                gloss=(
                    "Repeated breaches despite correction (屢教不改) are punished more severely; "
                    "repeated demerits escalate to a major demerit."
                ),
            ),
            Clause(
                seed=SEED_001,
                section="三.(三).3 懲罰措施",
                text=(
                    "對于違反服從管理制度的員工,根據(jù)情節(jié)輕重給予相應(yīng)的懲罰。懲罰措"
                    "施包括但不限于警告、罰款、降職、辭退等。"
                ),
                gloss="Penalties are graded by seriousness: warning, fine, demotion, dismissal.",
            ),
        ),
        "ESC-03": (
            Clause(
                seed=SEED_001,
                section="三.(三).3 懲罰措施",
                text=(
                    "對多次違反服從管理制度且屢教不改的員工,公司將予以辭退處理,以維護公司管理制度"
                    "的嚴肅性。"
                ),
                gloss=(
                    "An employee who keeps offending despite correction (屢教不改) is dismissed; "
                    "a new sanction while a major demerit is live yields a dismissal "
                    "recommendation."
                ),
            ),
        ),
        "PAY-01": (
            Clause(
                seed=SEED_001,
                section="三.(三).3 懲罰措施",
                text="懲罰措施包括但不限于警告、罰款、降職、辭退等。",
                gloss=(
                    "Penalties include fines. The deduction cap rests on PRC law, not the seed: "
                    "工资支付暂行规定 第16条 (deductions for losses caused by the worker may not "
                    "exceed 20% of the monthly wage, and the wage left must not be below the "
                    "local minimum wage)."
                ),
            ),
            Clause(
                seed=SEED_000,
                section="公司服务规范细则 三.2 检查与考核",
                text="2、对《规范》条款的执行情况,与经济责任挂钩,纳入各部门精神文明目标考核。",
                gloss=(
                    "Compliance is tied to economic responsibility (money), within the caps of "
                    "工资支付暂行规定 第16条."
                ),
            ),
        ),
        "GRD-01": (
            Clause(
                seed=SEED_001,
                section="三.(三).1 考核機制",
                text=(
                    "根據(jù)考核結(jié)果,將員工的服從情況分為優(yōu)秀、良好、合格、不合格四個"
                    "等級,并作為員工績效評估、晉升、調(diào)薪等的重要依據(jù)。"
                ),
                gloss=(
                    "Obedience is graded into four levels (excellent, good, qualified, "
                    "unqualified), used for performance review, promotion and pay."
                ),
            ),
            Clause(
                seed=SEED_000,
                section="公司服务规范细则 三.3 检查与考核",
                text="3、对各科室和个人执行《规范》的情况,公司纳入阶段性工作和年度工作考评考核。",
                gloss=(
                    "Each department's and individual's compliance enters the periodic and "
                    "annual appraisal."
                ),
            ),
            Clause(
                seed=SEED_001,
                section="一.(三).3 公平公正原則",
                text=(
                    "在涉及服務(wù)評估、服從考核等方面,嚴格遵循公平公正的原則,確保制度執(zhí)行"
                    "的一致性,不偏袒任何員工。"
                ),
                gloss=(
                    "Service evaluation and obedience assessment are fair and consistent, "
                    "favouring no one."
                ),
            ),
        ),
        "PRM-01": (
            Clause(
                seed=SEED_001,
                section="四.(三).2 晉升與發展機會",
                text="在員工服從管理、服務(wù)到位的前提下,公司為員工提供公平公正的晉升機會。",
                gloss=(
                    "Promotion is open, fairly, to employees who obey management and deliver "
                    "proper service."
                ),
            ),
            Clause(
                seed=SEED_001,
                section="四.(三).2 晉升與發展機會",
                text="對于表現(xiàn)突出、具備晉升條件的員工,及時給予晉升機會",
                gloss=(
                    "Employees who perform outstandingly and meet the promotion conditions are "
                    "promoted promptly."
                ),
            ),
            Clause(
                seed=SEED_004,
                section="三.(2) 监督与考核",
                text="考核方面,我们实施“360度评估”制度,对员工的服务绩效进行全面评估。",
                gloss=(
                    "Service performance is appraised by a 360-degree evaluation (the "
                    "service.evaluated scores of PRM-01 (e))."
                ),
            ),
        ),
        "APL-01": (
            Clause(
                seed=SEED_001,
                section="五.(二).1 員工意見反饋",
                text=(
                    "員工可以通過內(nèi)部溝通平臺、意見箱、直接向上級領(lǐng)導(dǎo)匯報等方式反"
                    "饋自己的意見。對于員工反饋的意見和建議,公司相關(guān)部門應(yīng)及時進行收"
                    "集、整理和分析,并根據(jù)實際情況進行研究和處理。"
                ),
                gloss=(
                    "Employees may raise objections through internal channels or their superior; "
                    "the departments concerned must promptly examine and decide them (the basis "
                    "for appeals)."
                ),
            ),
            Clause(
                seed=SEED_001,
                section="一.(三).3 公平公正原則",
                text=(
                    "在涉及服務(wù)評估、服從考核等方面,嚴格遵循公平公正的原則,確保制度執(zhí)行"
                    "的一致性,不偏袒任何員工。"
                ),
                gloss=(
                    "Assessments must be fair and consistent, so a sanction found wrong on "
                    "appeal is undone."
                ),
            ),
            Clause(
                seed=SEED_000,
                section="公司服务规范细则 二.6",
                text="凡公司员工,只要发生用户投诉经查属实的,除按照公司有关规定处理外",
                gloss=(
                    "Only a complaint verified on investigation (经查属实) is sanctioned, so a "
                    "retracted observation never counted."
                ),
            ),
        ),
    }
)
"""Rule id -> the clauses it implements, primary clause first."""
