<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name>AppointmentDialog</name>
    <message>
        <source>约访 Appointment</source>
        <translation>Appointment</translation>
    </message>
    <message>
        <source>软约:到时优先拨打,谁都可以打 (soft)</source>
        <translation>Soft: called first when due, by anyone</translation>
    </message>
    <message>
        <source>硬约:到约定时间结束前只由我拨打 (hard)</source>
        <translation>Hard: only I call it until the agreed time is over</translation>
    </message>
    <message>
        <source>如:请找户主,晚饭后方便 (note)</source>
        <translation>e.g. ask for the head of the household, after dinner is best</translation>
    </message>
    <message>
        <source>预约 Book</source>
        <translation>Book</translation>
    </message>
    <message>
        <source>取消 Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>以下时间均为对方当地时间 ({zone})</source>
        <translation>All times below are the respondent&apos;s local time ({zone})</translation>
    </message>
    <message>
        <source>开始 Start</source>
        <translation>Start</translation>
    </message>
    <message>
        <source>结束 End</source>
        <translation>End</translation>
    </message>
    <message>
        <source>时长 Length</source>
        <translation>Length</translation>
    </message>
    <message>
        <source>类型 Kind</source>
        <translation>Kind</translation>
    </message>
    <message>
        <source>备注 Note</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>结束时间必须晚于开始时间 (the end must be after the start)</source>
        <translation>The end must be after the start</translation>
    </message>
    <message>
        <source>开始时间已经过去 (the start is in the past)</source>
        <translation>The start is in the past</translation>
    </message>
    <message>
        <source>{hours} 小时 {minutes} 分</source>
        <translation>{hours} h {minutes} min</translation>
    </message>
</context>
<context>
    <name>CallView</name>
    <message>
        <source>备注:随拨打结果一起保存 (note)</source>
        <translation>Note: saved with the call outcome</translation>
    </message>
    <message>
        <source>开始访问 Start interview</source>
        <translation>Start interview</translation>
    </message>
    <message>
        <source>约访 Appointment</source>
        <translation>Appointment</translation>
    </message>
    <message>
        <source>时间(对方当地)Time</source>
        <translation>Time (respondent&apos;s local)</translation>
    </message>
    <message>
        <source>访问员 Interviewer</source>
        <translation>Interviewer</translation>
    </message>
    <message>
        <source>结果 Outcome</source>
        <translation>Outcome</translation>
    </message>
    <message>
        <source>备注 Note</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>拨打记录 Call history</source>
        <translation>Call history</translation>
    </message>
    <message>
        <source>点击用软电话拨打 (click to dial) {uri}</source>
        <translation>Click to dial with the softphone: {uri}</translation>
    </message>
    <message>
        <source>归属地未知 (region unknown)</source>
        <translation>Region unknown</translation>
    </message>
    <message>
        <source>样本层 Stratum:{stratum}</source>
        <translation>Stratum:{stratum}</translation>
    </message>
    <message>
        <source>已拨打 {n} 次 (attempts)</source>
        <translation>Called {n} times</translation>
    </message>
    <message>
        <source>暂无号码 (no number held)</source>
        <translation>No number held</translation>
    </message>
    <message>
        <source>对方时区未知 (unknown time zone) {zone}</source>
        <translation>Unknown time zone {zone}</translation>
    </message>
    <message>
        <source>对方当地时间 {time} ({zone})</source>
        <translation>Respondent&apos;s local time {time} ({zone})</translation>
    </message>
    <message>
        <source>续访:将从第 {question} 题继续 (resumes at {question})</source>
        <translation>Resuming: continues at question {question}</translation>
    </message>
    <message>
        <source>约访</source>
        <translation>Appointment</translation>
    </message>
    <message>
        <source>未到 (upcoming)</source>
        <translation>Upcoming</translation>
    </message>
    <message>
        <source>正在约定时间内 (now)</source>
        <translation>Now (within the agreed time)</translation>
    </message>
    <message>
        <source>已过约定时间 (missed)</source>
        <translation>Missed</translation>
    </message>
    <message>
        <source>硬约 (hard)</source>
        <translation>Hard</translation>
    </message>
    <message>
        <source>软约 (soft)</source>
        <translation>Soft</translation>
    </message>
    <message>
        <source>约访 Appointment:{start} – {end}(对方当地时间)· {kind} · {when}</source>
        <translation>Appointment: {start} – {end} (respondent&apos;s local time) · {kind} · {when}</translation>
    </message>
    <message>
        <source>预约人 Booked by:{name}</source>
        <translation>Booked by:{name}</translation>
    </message>
    <message>
        <source>保留给 Reserved for:{name}</source>
        <translation>Reserved for:{name}</translation>
    </message>
    <message>
        <source>备注 Note:{note}</source>
        <translation>Note:{note}</translation>
    </message>
</context>
<context>
    <name>InterviewPage</name>
    <message>
        <source>朗读 (F5)</source>
        <translation>Read aloud (F5)</translation>
    </message>
    <message>
        <source>约访 (Ctrl+F10)</source>
        <translation>Appointment (Ctrl+F10)</translation>
    </message>
    <message>
        <source>对方挂断 (Ctrl+H)</source>
        <translation>Respondent hung up (Ctrl+H)</translation>
    </message>
</context>
<context>
    <name>InterviewView</name>
    <message>
        <source>本次访问已用时间</source>
        <translation>Time spent on this interview</translation>
    </message>
    <message>
        <source>问卷语言</source>
        <translation>Questionnaire language</translation>
    </message>
    <message>
        <source>已问过的题目:单击或回车跳回该题</source>
        <translation>Questions asked so far: click one or press Enter to go back to it</translation>
    </message>
    <message>
        <source>返回 (Esc)</source>
        <translation>Back (Esc)</translation>
    </message>
    <message>
        <source>继续 (Enter)</source>
        <translation>Next (Enter)</translation>
    </message>
    <message>
        <source>重试保存</source>
        <translation>Retry saving</translation>
    </message>
    <message>
        <source>保存失败:</source>
        <translation>Saving failed: </translation>
    </message>
    <message>
        <source>提示:</source>
        <translation>Hint: </translation>
    </message>
    <message>
        <source>结束访问</source>
        <translation>End interview</translation>
    </message>
    <message>
        <source>甄别结束:读完结束语后结束访问</source>
        <translation>Screened out: read the closing words, then end the interview</translation>
    </message>
    <message>
        <source>第 %v 题 / 约 %m 题</source>
        <translation>Question %v of about %m</translation>
    </message>
    <message>
        <source>保存中…</source>
        <translation>Saving…</translation>
    </message>
    <message>
        <source>访问已结束</source>
        <translation>The interview is over</translation>
    </message>
</context>
<context>
    <name>InterviewerWindow</name>
    <message>
        <source>cati — 访问员 %1</source>
        <translation>cati — interviewer %1</translation>
    </message>
    <message>
        <source>朗读不可用</source>
        <translation>Reading aloud is not available</translation>
    </message>
    <message>
        <source>设置…</source>
        <translation>Settings…</translation>
    </message>
    <message>
        <source>朗读当前问题和选项 (F5)</source>
        <translation>Read the question and its options aloud (F5)</translation>
    </message>
    <message>
        <source>正在处理…</source>
        <translation>Working…</translation>
    </message>
    <message>
        <source>出错：</source>
        <translation>Error: </translation>
    </message>
    <message>
        <source>取号失败：</source>
        <translation>Could not get a number: </translation>
    </message>
    <message>
        <source>没有进行中的项目</source>
        <translation>No active projects</translation>
    </message>
    <message>
        <source>正在打开项目…</source>
        <translation>Opening the project…</translation>
    </message>
    <message>
        <source>准备好后按“就绪”取下一个号码</source>
        <translation>When you are ready, press “Ready” for the next number</translation>
    </message>
    <message>
        <source>已暂停：不再自动取号</source>
        <translation>Paused: no more numbers are taken automatically</translation>
    </message>
    <message>
        <source>已取消自动拨号；按“就绪”继续</source>
        <translation>Auto-dial cancelled; press “Ready” to go on</translation>
    </message>
    <message>
        <source>%1 秒后自动取下一个号码（Esc 取消）</source>
        <translation>Next number in %1 s (Esc cancels)</translation>
    </message>
    <message>
        <source>正在取号…</source>
        <translation>Getting a number…</translation>
    </message>
    <message>
        <source>暂时没有可拨的号码，30 秒后再试</source>
        <translation>No number to call just now; trying again in 30 s</translation>
    </message>
    <message>
        <source>本机已不再持有该号码（租约已过期）；请联系督导</source>
        <translation>This workstation no longer holds the number (its lease ran out); please tell your supervisor</translation>
    </message>
    <message>
        <source>正在保存…</source>
        <translation>Saving…</translation>
    </message>
    <message>
        <source>正在保存预约…</source>
        <translation>Saving the appointment…</translation>
    </message>
    <message>
        <source>正在打开问卷…</source>
        <translation>Opening the questionnaire…</translation>
    </message>
    <message>
        <source>实地访问</source>
        <translation>Field interview</translation>
    </message>
    <message>
        <source>中止访问 (Ctrl+H)</source>
        <translation>Break off the interview (Ctrl+H)</translation>
    </message>
    <message>
        <source>对方挂断 (Ctrl+H)</source>
        <translation>Respondent hung up (Ctrl+H)</translation>
    </message>
    <message>
        <source>该乡镇（街道）的样本配额已满，访问到此结束（4.80）。请向受访者致谢。</source>
        <translation>The quota for this township (sub-district) is full: the interview ends here (4.80). Please thank the respondent.</translation>
    </message>
    <message>
        <source>中止访问</source>
        <translation>Break off the interview</translation>
    </message>
    <message>
        <source>访问未完成。记为：</source>
        <translation>The interview is not complete. Record it as:</translation>
    </message>
    <message>
        <source>部分完成 1.2（已答大部分）</source>
        <translation>Partial 1.2 (most questions answered)</translation>
    </message>
    <message>
        <source>中途挂断 2.12</source>
        <translation>Hung up part-way 2.12</translation>
    </message>
    <message>
        <source>继续访问</source>
        <translation>Continue the interview</translation>
    </message>
</context>
<context>
    <name>LoginWindow</name>
    <message>
        <source>cati — 登录 Log in</source>
        <translation>cati — Log in</translation>
    </message>
    <message>
        <source>登录 Log in</source>
        <translation>Log in</translation>
    </message>
    <message>
        <source>正在打开数据库… Opening the database…</source>
        <translation>Opening the database…</translation>
    </message>
    <message>
        <source>用户名 Username</source>
        <translation>Username</translation>
    </message>
    <message>
        <source>密码 Password</source>
        <translation>Password</translation>
    </message>
    <message>
        <source>公众安全感和满意度测评 · 电话访问系统</source>
        <translation>Public sense-of-safety and satisfaction survey · telephone interviewing</translation>
    </message>
    <message>
        <source>正在登录… Logging in…</source>
        <translation>Logging in…</translation>
    </message>
    <message>
        <source>无法打开数据库 Cannot open the database: </source>
        <translation>Cannot open the database: </translation>
    </message>
</context>
<context>
    <name>OutcomeButton</name>
    <message>
        <source>最终结果:号码将结案 (final: the number is closed)</source>
        <translation>Final outcome: the number will be closed</translation>
    </message>
</context>
<context>
    <name>ProjectPage</name>
    <message>
        <source>请选择项目</source>
        <translation>Choose a project</translation>
    </message>
    <message>
        <source>进入项目</source>
        <translation>Open the project</translation>
    </message>
</context>
<context>
    <name>ReadyPage</name>
    <message>
        <source>就绪 · 取下一个号码 (F12)</source>
        <translation>Ready · next number (F12)</translation>
    </message>
    <message>
        <source>暂停 (Ctrl+P)</source>
        <translation>Pause (Ctrl+P)</translation>
    </message>
    <message>
        <source>取消自动拨号 (Esc)</source>
        <translation>Cancel auto-dial (Esc)</translation>
    </message>
    <message>
        <source>实地访问 · 不经电话 (Ctrl+N)</source>
        <translation>Field interview · no phone call (Ctrl+N)</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>设置 Settings</source>
        <translation>Settings</translation>
    </message>
    <message>
        <source> 字/分 words/min</source>
        <translation> words/min</translation>
    </message>
    <message>
        <source> 秒 s</source>
        <translation> s</translation>
    </message>
    <message>
        <source>关闭 Off</source>
        <translation>Off</translation>
    </message>
    <message>
        <source>界面语言 Language</source>
        <translation>Language</translation>
    </message>
    <message>
        <source>题目字号 Question font size</source>
        <translation>Question font size</translation>
    </message>
    <message>
        <source>朗读语音 Read-aloud voice</source>
        <translation>Read-aloud voice</translation>
    </message>
    <message>
        <source>朗读语速 Read-aloud speed</source>
        <translation>Read-aloud speed</translation>
    </message>
    <message>
        <source>自动下一题倒计时 Auto-next countdown</source>
        <translation>Auto-next countdown</translation>
    </message>
    <message>
        <source>监控刷新间隔 Monitor refresh</source>
        <translation>Monitor refresh</translation>
    </message>
    <message>
        <source>界面语言在重新启动后生效。 The language changes at the next start.</source>
        <translation>The language changes at the next start.</translation>
    </message>
    <message>
        <source>自动（有中文语音时用中文） Automatic (Chinese where installed)</source>
        <translation>Automatic (Chinese where installed)</translation>
    </message>
    <message>
        <source>{0}（未安装 not installed）</source>
        <translation>{0} (not installed)</translation>
    </message>
</context>
<context>
    <name>_AnswerInput</name>
    <message>
        <source>整数</source>
        <translation>Whole number</translation>
    </message>
    <message>
        <source>数字</source>
        <translation>Number</translation>
    </message>
    <message>
        <source>年-月-日,如 2026-11-23</source>
        <translation>year-month-day, e.g. 2026-11-23</translation>
    </message>
    <message>
        <source>时:分,如 14:30</source>
        <translation>hour:minute, e.g. 14:30</translation>
    </message>
    <message>
        <source>年-月-日T时:分,如 2026-11-23T14:30</source>
        <translation>year-month-dayThour:minute, e.g. 2026-11-23T14:30</translation>
    </message>
</context>
</TS>
