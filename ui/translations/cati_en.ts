<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name></name>
    <message>
        <source>30 秒后再试</source>
        <translation>trying again in 30 s</translation>
    </message>
    <message>
        <source>现在不在拨打时段；{at} 开始拨打 · Outside calling hours: calls start at {at}</source>
        <translation>Outside calling hours: calls start at {at}</translation>
    </message>
    <message>
        <source>暂时没有到时的号码；下一个 {at} 到时 · Nothing due now: the next number is due at {at}</source>
        <translation>Nothing due now: the next number is due at {at}</translation>
    </message>
    <message>
        <source>项目已暂停，督导恢复后才能取号 · The project is paused by the supervisor</source>
        <translation>The project is paused by the supervisor</translation>
    </message>
    <message>
        <source>项目已结束 · The project is closed</source>
        <translation>The project is closed</translation>
    </message>
    <message>
        <source>本项目已没有可拨的号码 · No numbers left to call in this project</source>
        <translation>No numbers left to call in this project</translation>
    </message>
    <message>
        <source>可拨的号码都在其他坐席或配额已满，{retry} · Every callable number is held by another workstation or its quota is full</source>
        <translation>Every callable number is held by another workstation or its quota is full; {retry}</translation>
    </message>
</context>
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
    <name>AppointmentsPanel</name>
    <message>
        <source>预约时间(对方当地)</source>
        <translation>Time (respondent&apos;s local)</translation>
    </message>
    <message>
        <source>号码</source>
        <translation>Number</translation>
    </message>
    <message>
        <source>样本层</source>
        <translation>Stratum</translation>
    </message>
    <message>
        <source>类型</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>预约人</source>
        <translation>Booked by</translation>
    </message>
    <message>
        <source>专属访问员</source>
        <translation>Reserved for</translation>
    </message>
    <message>
        <source>备注</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>显示已结束的预约</source>
        <translation>Show closed appointments</translation>
    </message>
    <message>
        <source>刷新</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <source>改约…</source>
        <translation>Move…</translation>
    </message>
    <message>
        <source>取消预约</source>
        <translation>Cancel appointment</translation>
    </message>
    <message>
        <source>硬约</source>
        <translation>Hard</translation>
    </message>
    <message>
        <source>软约</source>
        <translation>Soft</translation>
    </message>
    <message>
        <source>共 %1 个预约</source>
        <translation>%1 appointments</translation>
    </message>
</context>
<context>
    <name>AssignmentsPanel</name>
    <message>
        <source>访问员</source>
        <translation>Interviewer</translation>
    </message>
    <message>
        <source>指派范围</source>
        <translation>Assigned to</translation>
    </message>
    <message>
        <source>只拨所指派的分层</source>
        <translation>Only the assigned strata</translation>
    </message>
    <message>
        <source>指派</source>
        <translation>Assign</translation>
    </message>
    <message>
        <source>取消所选指派</source>
        <translation>Remove the chosen assignment</translation>
    </message>
    <message>
        <source>访问员：</source>
        <translation>Interviewer:</translation>
    </message>
    <message>
        <source>范围：</source>
        <translation>Scope:</translation>
    </message>
    <message>
        <source>指派给指定访问员的项目或分层只分给他们；分层的指派访问员优先拨打自己的分层</source>
        <translation>A project or stratum assigned to named interviewers is served to them only; a stratum&apos;s named interviewers call their own strata first</translation>
    </message>
    <message>
        <source>整个项目</source>
        <translation>Whole project</translation>
    </message>
    <message>
        <source>是</source>
        <translation>Yes</translation>
    </message>
    <message>
        <source>正在保存…</source>
        <translation>Saving…</translation>
    </message>
    <message>
        <source>已保存</source>
        <translation>Saved</translation>
    </message>
    <message>
        <source>失败：</source>
        <translation>Failed: </translation>
    </message>
</context>
<context>
    <name>AuditPanel</name>
    <message>
        <source>全部操作</source>
        <translation>All actions</translation>
    </message>
    <message>
        <source>用户名</source>
        <translation>Username</translation>
    </message>
    <message>
        <source>从</source>
        <translation>From</translation>
    </message>
    <message>
        <source>至</source>
        <translation>To</translation>
    </message>
    <message>
        <source>查询</source>
        <translation>Search</translation>
    </message>
    <message>
        <source>更多</source>
        <translation>More</translation>
    </message>
    <message>
        <source>导出…</source>
        <translation>Export…</translation>
    </message>
    <message>
        <source>正在读取…</source>
        <translation>Reading…</translation>
    </message>
    <message>
        <source>导出审计日志</source>
        <translation>Export the audit log</translation>
    </message>
    <message>
        <source>正在导出…</source>
        <translation>Exporting…</translation>
    </message>
    <message>
        <source>显示 %1 条，共 %2 条</source>
        <translation>Showing %1 of %2 entries</translation>
    </message>
    <message>
        <source>已导出 %1 条</source>
        <translation>Exported %1 entries</translation>
    </message>
</context>
<context>
    <name>AuditTableModel</name>
    <message>
        <source>时间</source>
        <translation>Time</translation>
    </message>
    <message>
        <source>用户</source>
        <translation>User</translation>
    </message>
    <message>
        <source>操作</source>
        <translation>Action</translation>
    </message>
    <message>
        <source>详情</source>
        <translation>Details</translation>
    </message>
</context>
<context>
    <name>BackcheckPanel</name>
    <message>
        <source>抽取比例,如 5% 或 0.05</source>
        <translation>Share to draw, e.g. 5% or 0.05</translation>
    </message>
    <message>
        <source>抽取</source>
        <translation>Draw</translation>
    </message>
    <message>
        <source>刷新</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <source>访问员</source>
        <translation>Interviewer</translation>
    </message>
    <message>
        <source>原访问日期</source>
        <translation>Interview date</translation>
    </message>
    <message>
        <source>访问编号</source>
        <translation>Interview</translation>
    </message>
    <message>
        <source>复核结果</source>
        <translation>Result</translation>
    </message>
    <message>
        <source>差异</source>
        <translation>Discrepancies</translation>
    </message>
    <message>
        <source>复核时间</source>
        <translation>Checked</translation>
    </message>
    <message>
        <source>成功访问</source>
        <translation>Completes</translation>
    </message>
    <message>
        <source>已抽取</source>
        <translation>Drawn</translation>
    </message>
    <message>
        <source>已复核</source>
        <translation>Checked</translation>
    </message>
    <message>
        <source>核实无误</source>
        <translation>Confirmed</translation>
    </message>
    <message>
        <source>未能核实</source>
        <translation>Not confirmed</translation>
    </message>
    <message>
        <source>未联系上</source>
        <translation>Unreachable</translation>
    </message>
    <message>
        <source>拒绝复核</source>
        <translation>Refused</translation>
    </message>
    <message>
        <source>核实率</source>
        <translation>Confirmed rate</translation>
    </message>
    <message>
        <source>抽取比例</source>
        <translation>Share</translation>
    </message>
    <message>
        <source>每位访问员至少</source>
        <translation>At least per interviewer</translation>
    </message>
    <message>
        <source>抽中的访问</source>
        <translation>Drawn interviews</translation>
    </message>
    <message>
        <source>按访问员统计</source>
        <translation>By interviewer</translation>
    </message>
    <message>
        <source>待复核</source>
        <translation>Pending</translation>
    </message>
    <message>
        <source>受访者说没有接受过调查</source>
        <translation>Says they took part in no survey</translation>
    </message>
    <message>
        <source>受访者记不清是否接受过调查</source>
        <translation>Does not remember taking part</translation>
    </message>
    <message>
        <source>受访者说调查不是关于公众安全</source>
        <translation>Says the survey was not about public safety</translation>
    </message>
    <message>
        <source>年龄段不符</source>
        <translation>Age band differs</translation>
    </message>
    <message>
        <source>乡镇不符</source>
        <translation>Township differs</translation>
    </message>
    <message>
        <source>(原:{original},复核:{reported})</source>
        <translation> (interview: {original}, back-check: {reported})</translation>
    </message>
    <message>
        <source>抽取了 {n} 个成功访问,放入复核项目 {code}</source>
        <translation>Drew {n} completed interviews into back-check project {code}</translation>
    </message>
    <message>
        <source>复核项目:</source>
        <translation>Back-check project: </translation>
    </message>
    <message>
        <source>尚未抽取</source>
        <translation>Nothing drawn yet</translation>
    </message>
    <message>
        <source>(已作废)</source>
        <translation> (void)</translation>
    </message>
    <message>
        <source>；</source>
        <translation>; </translation>
    </message>
</context>
<context>
    <name>CallView</name>
    <message>
        <source>反映的问题 Complaint</source>
        <translation>Complaint</translation>
    </message>
    <message>
        <source>分类 Category</source>
        <translation>Category</translation>
    </message>
    <message>
        <source>责任单位 Unit</source>
        <translation>Unit</translation>
    </message>
    <message>
        <source>处理答复 Reply</source>
        <translation>Reply</translation>
    </message>
    <message>
        <source>答复日期 Reply date</source>
        <translation>Reply date</translation>
    </message>
    <message>
        <source>回访:群众反映的问题及处理情况 Call-back: the complaint and its handling</source>
        <translation>Call-back: the complaint and its handling</translation>
    </message>
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
        <source>网上填答 Web link</source>
        <translation>Web link</translation>
    </message>
    <message>
        <source>受访者愿意用手机网页填答：发给他个人链接，号码在链接有效期内不再拨打</source>
        <translation>The respondent prefers to answer on a phone&apos;s web page: send a personal link; the number is not called while the link is valid</translation>
    </message>
    <message>
        <source>拨号 Dial</source>
        <translation>Dial</translation>
    </message>
    <message>
        <source>挂断 Hang up</source>
        <translation>Hang up</translation>
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
        <source>建议结果 {code}:{label}(按 Enter 确认,或选择其他结果) · Proposed: Enter confirms</source>
        <translation>Proposed outcome {code}: {label} (Enter confirms, or choose another)</translation>
    </message>
    <message>
        <source>{n} 秒后自动拨号(Esc 取消) · Dialling in {n} s</source>
        <translation>Dialling in {n} s (Esc cancels)</translation>
    </message>
    <message>
        <source>看好号码后按 Ctrl+D 拨号 · Press Ctrl+D to dial</source>
        <translation>Press Ctrl+D to dial</translation>
    </message>
    <message>
        <source>正在拨号… · Dialling</source>
        <translation>Dialling</translation>
    </message>
    <message>
        <source>振铃 {s} 秒 · Ringing {s} s</source>
        <translation>Ringing {s} s</translation>
    </message>
    <message>
        <source>通话中 {m}:{s:02d} · Talking</source>
        <translation>Talking {m}:{s:02d}</translation>
    </message>
    <message>
        <source>已挂断:{reason} · Ended</source>
        <translation>Ended: {reason}</translation>
    </message>
    <message>
        <source>软电话未能拨打:{reason}。请用话机拨打 · Softphone failed: dial by hand</source>
        <translation>Softphone failed: dial by hand</translation>
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
    <name>CallingHoursModel</name>
    <message>
        <source>呼叫日 Day</source>
        <translation>Day</translation>
    </message>
    <message>
        <source>开始 From</source>
        <translation>From</translation>
    </message>
    <message>
        <source>午休 Midday break</source>
        <translation>Midday break</translation>
    </message>
    <message>
        <source>午休开始 Break from</source>
        <translation>Break from</translation>
    </message>
    <message>
        <source>午休结束 Break until</source>
        <translation>Break until</translation>
    </message>
    <message>
        <source>结束 Until</source>
        <translation>Until</translation>
    </message>
    <message>
        <source>周一 Mon</source>
        <translation>Mon</translation>
    </message>
    <message>
        <source>周二 Tue</source>
        <translation>Tue</translation>
    </message>
    <message>
        <source>周三 Wed</source>
        <translation>Wed</translation>
    </message>
    <message>
        <source>周四 Thu</source>
        <translation>Thu</translation>
    </message>
    <message>
        <source>周五 Fri</source>
        <translation>Fri</translation>
    </message>
    <message>
        <source>周六 Sat</source>
        <translation>Sat</translation>
    </message>
    <message>
        <source>周日 Sun</source>
        <translation>Sun</translation>
    </message>
    <message>
        <source>午休 break</source>
        <translation>break</translation>
    </message>
</context>
<context>
    <name>ConsoleWindow</name>
    <message>
        <source>cati — 督导控制台 — %1</source>
        <translation>cati — Supervisor console — %1</translation>
    </message>
    <message>
        <source>项目 </source>
        <translation>Project </translation>
    </message>
    <message>
        <source>导入号码…</source>
        <translation>Import phone list…</translation>
    </message>
    <message>
        <source>月度报告…</source>
        <translation>Monthly report…</translation>
    </message>
    <message>
        <source>指数规则…</source>
        <translation>Index rule…</translation>
    </message>
    <message>
        <source>修改密码…</source>
        <translation>Change password…</translation>
    </message>
    <message>
        <source>实时监控</source>
        <translation>Live monitor</translation>
    </message>
    <message>
        <source>样本</source>
        <translation>Sample</translation>
    </message>
    <message>
        <source>预约</source>
        <translation>Appointments</translation>
    </message>
    <message>
        <source>建议</source>
        <translation>Suggestions</translation>
    </message>
    <message>
        <source>责任单位</source>
        <translation>Units</translation>
    </message>
    <message>
        <source>配额</source>
        <translation>Quotas</translation>
    </message>
    <message>
        <source>项目设置</source>
        <translation>Project settings</translation>
    </message>
    <message>
        <source>网上填答</source>
        <translation>Web</translation>
    </message>
    <message>
        <source>绩效</source>
        <translation>Productivity</translation>
    </message>
    <message>
        <source>调查期</source>
        <translation>Waves</translation>
    </message>
    <message>
        <source>指派</source>
        <translation>Assignments</translation>
    </message>
    <message>
        <source>复核</source>
        <translation>Back-checks</translation>
    </message>
    <message>
        <source>录音抽查</source>
        <translation>Listening QC</translation>
    </message>
    <message>
        <source>审计日志</source>
        <translation>Audit log</translation>
    </message>
    <message>
        <source>用户</source>
        <translation>Users</translation>
    </message>
    <message>
        <source>Word 通报 (*.docx)</source>
        <translation>Word bulletin (*.docx)</translation>
    </message>
    <message>
        <source>Excel 数据表 (*.xlsx)</source>
        <translation>Excel tables (*.xlsx)</translation>
    </message>
    <message>
        <source>保存月度报告</source>
        <translation>Save the monthly report</translation>
    </message>
    <message>
        <source>正在生成月度报告…</source>
        <translation>Writing the monthly report…</translation>
    </message>
    <message>
        <source>月度报告已保存：</source>
        <translation>Monthly report saved: </translation>
    </message>
    <message>
        <source>月度报告失败：</source>
        <translation>Monthly report failed: </translation>
    </message>
</context>
<context>
    <name>CorrectionDialog</name>
    <message>
        <source>修改答案 Correct an answer</source>
        <translation>Correct an answer</translation>
    </message>
    <message>
        <source>必填,如“复核时受访者更正” Required</source>
        <translation>Required, e.g. “corrected by the respondent at the back-check”</translation>
    </message>
    <message>
        <source>保存更正 Save</source>
        <translation>Save</translation>
    </message>
    <message>
        <source>问题 Question</source>
        <translation>Question</translation>
    </message>
    <message>
        <source>新答案 New answer</source>
        <translation>New answer</translation>
    </message>
    <message>
        <source>原因 Reason</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>访问 {id}（{state}）：更正会连同原值、新值、修改人和原因记入审计日志 · The old and the new value, who and why go to the audit log</source>
        <translation>Interview {id} ({state}): the old and the new value, who and why go to the audit log</translation>
    </message>
</context>
<context>
    <name>ImportDialog</name>
    <message>
        <source>导入电话样本 Import a phone list</source>
        <translation>Import a phone list</translation>
    </message>
    <message>
        <source>请选择 Excel 或 CSV 文件 Choose an Excel or CSV file</source>
        <translation>Choose an Excel or CSV file</translation>
    </message>
    <message>
        <source>选择文件… Choose file…</source>
        <translation>Choose file…</translation>
    </message>
    <message>
        <source>工作表 Sheet</source>
        <translation>Sheet</translation>
    </message>
    <message>
        <source>表头行 Header row</source>
        <translation>Header row</translation>
    </message>
    <message>
        <source>电话列 Phone column</source>
        <translation>Phone column</translation>
    </message>
    <message>
        <source>分层列 Stratum column</source>
        <translation>Stratum column</translation>
    </message>
    <message>
        <source>预览 Preview</source>
        <translation>Preview</translation>
    </message>
    <message>
        <source>试导入 Dry run</source>
        <translation>Dry run</translation>
    </message>
    <message>
        <source>导入 Import</source>
        <translation>Import</translation>
    </message>
    <message>
        <source>取消导入 Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>结果 Result</source>
        <translation>Result</translation>
    </message>
    <message>
        <source>行号 Row</source>
        <translation>Row</translation>
    </message>
    <message>
        <source>原始号码 As given</source>
        <translation>As given</translation>
    </message>
    <message>
        <source>原因 Reason</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>保存拒绝清单 Save rejects as .xlsx</source>
        <translation>Save rejects as .xlsx</translation>
    </message>
    <message>
        <source>行数 Rows</source>
        <translation>Rows</translation>
    </message>
    <message>
        <source>可导入 Would import</source>
        <translation>Would import</translation>
    </message>
    <message>
        <source>已导入 Imported</source>
        <translation>Imported</translation>
    </message>
    <message>
        <source>无效号码 Invalid</source>
        <translation>Invalid</translation>
    </message>
    <message>
        <source>文件内重复 Duplicates in the file</source>
        <translation>Duplicates in the file</translation>
    </message>
    <message>
        <source>项目中已有 Already in the project</source>
        <translation>Already in the project</translation>
    </message>
    <message>
        <source>免打扰名单 On the do-not-call list</source>
        <translation>On the do-not-call list</translation>
    </message>
    <message>
        <source>选择电话样本 Choose a phone list</source>
        <translation>Choose a phone list</translation>
    </message>
    <message>
        <source>电话样本 Phone lists</source>
        <translation>Phone lists</translation>
    </message>
    <message>
        <source>所有文件 All files</source>
        <translation>All files</translation>
    </message>
    <message>
        <source>正在读取文件… Reading the file…</source>
        <translation>Reading the file…</translation>
    </message>
    <message>
        <source>检查表头行和电话列,然后试导入或导入 Check the header row and the phone column, then dry-run or import</source>
        <translation>Check the header row and the phone column, then dry-run or import</translation>
    </message>
    <message>
        <source>(无 None)</source>
        <translation>(None)</translation>
    </message>
    <message>
        <source>文本文件 Text file</source>
        <translation>Text file</translation>
    </message>
    <message>
        <source>编码 Encoding: {encoding}</source>
        <translation>Encoding: {encoding}</translation>
    </message>
    <message>
        <source>分隔符 Delimiter: {delimiter}</source>
        <translation>Delimiter: {delimiter}</translation>
    </message>
    <message>
        <source>行 Row</source>
        <translation>Row</translation>
    </message>
    <message>
        <source>正在打开文件… Opening the file…</source>
        <translation>Opening the file…</translation>
    </message>
    <message>
        <source>正在试导入… Dry run under way…</source>
        <translation>Dry run under way…</translation>
    </message>
    <message>
        <source>正在导入… Import under way…</source>
        <translation>Import under way…</translation>
    </message>
    <message>
        <source>正在取消… Cancelling…</source>
        <translation>Cancelling…</translation>
    </message>
    <message>
        <source>已读取 {rows} 行 Read {rows} rows</source>
        <translation>Read {rows} rows</translation>
    </message>
    <message>
        <source>正在写入数据库:{rows} 行 Writing {rows} rows to the database</source>
        <translation>Writing {rows} rows to the database</translation>
    </message>
    <message>
        <source>已完成 {rows} 行 Done: {rows} rows</source>
        <translation>Done: {rows} rows</translation>
    </message>
    <message>
        <source>用时 {seconds} 秒 Took {seconds} s</source>
        <translation>Took {seconds} s</translation>
    </message>
    <message>
        <source>试导入完成:数据库没有任何改动 Dry run finished: nothing was written</source>
        <translation>Dry run finished: nothing was written</translation>
    </message>
    <message>
        <source>这是试导入:正式导入将得到以下结果 A dry run: the import would give these counts</source>
        <translation>A dry run: the import would give these counts</translation>
    </message>
    <message>
        <source>导入完成 Import finished</source>
        <translation>Import finished</translation>
    </message>
    <message>
        <source>已导入为第 {batch} 批 Imported as batch {batch}</source>
        <translation>Imported as batch {batch}</translation>
    </message>
    <message>
        <source>试导入已取消 Dry run cancelled</source>
        <translation>Dry run cancelled</translation>
    </message>
    <message>
        <source>导入已取消,项目未做任何更改 Import cancelled: the project is unchanged</source>
        <translation>Import cancelled: the project is unchanged</translation>
    </message>
    <message>
        <source>没有被拒绝的行 No rows were rejected</source>
        <translation>No rows were rejected</translation>
    </message>
    <message>
        <source>拒绝 {total} 行,下表列出前 {shown} 行 Rejected {total} rows; the first {shown} are listed</source>
        <translation>Rejected {total} rows; the first {shown} are listed</translation>
    </message>
    <message>
        <source>拒绝 {total} 行 Rejected {total} rows</source>
        <translation>Rejected {total} rows</translation>
    </message>
    <message>
        <source>保存拒绝清单 Save the rejects</source>
        <translation>Save the rejects</translation>
    </message>
    <message>
        <source>Excel 工作簿 Excel workbook</source>
        <translation>Excel workbook</translation>
    </message>
    <message>
        <source>已保存拒绝清单 Rejects saved to {path}</source>
        <translation>Rejects saved to {path}</translation>
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
        <source>回到原处 (Ctrl+Enter)</source>
        <translation>Back to where I was (Ctrl+Enter)</translation>
    </message>
    <message>
        <source>保存此答案,然后越过其后仍然有效的已答问题,回到改答前访问到的地方</source>
        <translation>Save this answer, then go past the later answers that still hold, back to where the interview had got to</translation>
    </message>
    <message>
        <source>重试保存</source>
        <translation>Retry saving</translation>
    </message>
    <message>
        <source>结束访问 (Enter)</source>
        <translation>End the interview (Enter)</translation>
    </message>
    <message>
        <source>读完结束语后结束访问</source>
        <translation>Read the closing words, then end the interview</translation>
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
        <source>第 %1 题 / 约 %2 题</source>
        <translation>Question %1 of about %2</translation>
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
        <source>北京时间 {when}</source>
        <translation>{when} Beijing time</translation>
    </message>
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
        <source>修改密码…</source>
        <translation>Change password…</translation>
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
        <source>本项目已指派给指定访问员，您不在其中；如需拨打请联系督导</source>
        <translation>This project is assigned to named interviewers and you are not one of them; ask your supervisor to call it</translation>
    </message>
    <message>
        <source>您被指派到：{strata}（只拨这些分层）</source>
        <translation>You are assigned to: {strata} (only these strata)</translation>
    </message>
    <message>
        <source>您被指派到：{strata}（优先拨打）</source>
        <translation>You are assigned to: {strata} (called first)</translation>
    </message>
    <message>
        <source>本项目指派给指定访问员，您是其中之一</source>
        <translation>This project is assigned to named interviewers; you are one of them</translation>
    </message>
    <message>
        <source>今日：拨打 {calls} · 接通 {contacts} · 完成 {completes} · 访问 {minutes} 分钟 · 在线 {hours}:{mins:02d}</source>
        <translation>Today: calls {calls} · contacts {contacts} · completes {completes} · interviewing {minutes} min · online {hours}:{mins:02d}</translation>
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
        <source>软电话设置有误,用话机拨打:</source>
        <translation>The softphone settings are wrong; dial on the desk phone: </translation>
    </message>
    <message>
        <source>软电话已就绪 {aor}</source>
        <translation>Softphone ready {aor}</translation>
    </message>
    <message>
        <source>软电话未能启动,用话机拨打:</source>
        <translation>The softphone did not start; dial on the desk phone: </translation>
    </message>
    <message>
        <source>通话已结束(对方挂断) · The call ended</source>
        <translation>The call ended (the respondent hung up)</translation>
    </message>
    <message>
        <source>通话结束</source>
        <translation>Call over</translation>
    </message>
    <message>
        <source>忙音</source>
        <translation>Busy</translation>
    </message>
    <message>
        <source>无人接听</source>
        <translation>No answer</translation>
    </message>
    <message>
        <source>被拒接</source>
        <translation>Declined</translation>
    </message>
    <message>
        <source>空号</source>
        <translation>Number does not exist</translation>
    </message>
    <message>
        <source>未能接通</source>
        <translation>Not connected</translation>
    </message>
    <message>
        <source>正在挂断…</source>
        <translation>Hanging up…</translation>
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
        <source>数据库恢复、本机记录写入后再取号</source>
        <translation>The next number comes once the database is back and this workstation&apos;s records are written</translation>
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
        <source>数据库连接中断，正在重连…本机已保存 %1 条记录，恢复后自动写入。</source>
        <translation>The database connection is lost; reconnecting… %1 records are kept on this workstation and will be written when it is back.</translation>
    </message>
    <message>
        <source>数据库暂时不能写入，正在重试…本机已保存 %1 条记录，恢复后自动写入。</source>
        <translation>The database takes no writes at the moment; retrying… %1 records are kept on this workstation and will be written when it takes them again.</translation>
    </message>
    <message>
        <source>数据库已恢复，本机记录已全部写入</source>
        <translation>The database is back; every record kept on this workstation is written</translation>
    </message>
    <message>
        <source>本机记录写入失败：</source>
        <translation>Writing this workstation&apos;s records failed: </translation>
    </message>
    <message>
        <source>该号码已由其他座席接手（断线期间租约已过期）。本机未写入的答案已保存在本机日志中，请联系督导合并。</source>
        <translation>Another workstation has taken this number (its lease expired while this one was cut off). The answers not written are kept in this workstation&apos;s journal: ask a supervisor to merge them.</translation>
    </message>
    <message>
        <source>转为网上填答</source>
        <translation>Hand over to the web</translation>
    </message>
    <message>
        <source>受访者愿意在网上填答吗？将生成只限本人使用的链接，本号码在链接有效期内不再拨打。</source>
        <translation>Does the respondent prefer to answer on the web? A personal, single-use link is made, and this number is not called again while the link is valid.</translation>
    </message>
    <message>
        <source>生成链接</source>
        <translation>Make the link</translation>
    </message>
    <message>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>正在生成网上填答链接…</source>
        <translation>Making the web link…</translation>
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
        <source>配额“{cell}”已满，访问到此结束（4.80）。</source>
        <translation>The quota “{cell}” is full: the interview ends here (4.80).</translation>
    </message>
    <message>
        <source>谢谢您的配合！像您这样的受访者我们已经访问够了，这次就不再打扰您了。祝您生活愉快，再见！</source>
        <translation>Thank you for your help! We already have all the interviews we need with people like you, so we won&apos;t take more of your time. Have a nice day, goodbye!</translation>
    </message>
    <message>
        <source>该乡镇（街道）的样本配额已满，访问到此结束（4.80）。</source>
        <translation>This township&apos;s quota is full: the interview ends here (4.80).</translation>
    </message>
    <message>
        <source>谢谢您的配合！您所在乡镇（街道）的访问名额已经满了，这次就不再打扰您了。祝您生活愉快，再见！</source>
        <translation>Thank you for your help! We already have all the interviews we need from your township, so we will not take more of your time. Goodbye!</translation>
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
        <source>保存到系统钥匙串 Save in the system keyring</source>
        <translation>Save in the system keyring</translation>
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
        <source>数据库密码 Database password</source>
        <translation>Database password</translation>
    </message>
    <message>
        <source>公众安全感和满意度测评 · 电话访问系统</source>
        <translation>Public sense-of-safety and satisfaction survey · telephone interviewing</translation>
    </message>
    <message>
        <source>数据库 {database} 需要密码 The database {database} needs a password</source>
        <translation>The database {database} needs a password</translation>
    </message>
    <message>
        <source>正在登录… Logging in…</source>
        <translation>Logging in…</translation>
    </message>
    <message>
        <source>正在连接数据库… Connecting to the database…</source>
        <translation>Connecting to the database…</translation>
    </message>
    <message>
        <source>无法打开数据库 Cannot open the database: </source>
        <translation>Cannot open the database: </translation>
    </message>
</context>
<context>
    <name>MonitorPanel</name>
    <message>
        <source>正在读取…</source>
        <translation>Reading…</translation>
    </message>
    <message>
        <source>今日每小时拨打与完成</source>
        <translation>Calls and completes per hour today</translation>
    </message>
    <message>
        <source>样本层</source>
        <translation>Stratum</translation>
    </message>
    <message>
        <source>完成 / 配额</source>
        <translation>Completes / quota</translation>
    </message>
    <message>
        <source>进度</source>
        <translation>Progress</translation>
    </message>
    <message>
        <source>剩余号码</source>
        <translation>Numbers left</translation>
    </message>
    <message>
        <source>已拨号码</source>
        <translation>Numbers dialled</translation>
    </message>
    <message>
        <source>能否完成</source>
        <translation>Reachable?</translation>
    </message>
    <message>
        <source>访问员</source>
        <translation>Interviewer</translation>
    </message>
    <message>
        <source>状态</source>
        <translation>State</translation>
    </message>
    <message>
        <source>持续</source>
        <translation>For</translation>
    </message>
    <message>
        <source>号码</source>
        <translation>Number</translation>
    </message>
    <message>
        <source>拨打/小时</source>
        <translation>Calls/hour</translation>
    </message>
    <message>
        <source>完成</source>
        <translation>Completes</translation>
    </message>
    <message>
        <source>接通</source>
        <translation>Contacts</translation>
    </message>
    <message>
        <source>筛除</source>
        <translation>Screened out</translation>
    </message>
    <message>
        <source>拒访</source>
        <translation>Refusals</translation>
    </message>
    <message>
        <source>拒访率</source>
        <translation>Refusal rate</translation>
    </message>
    <message>
        <source>平均时长(分)</source>
        <translation>Mean length (min)</translation>
    </message>
    <message>
        <source>提示</source>
        <translation>Markers</translation>
    </message>
    <message>
        <source>录音抽查</source>
        <translation>Listening QC</translation>
    </message>
    <message>
        <source>状态 / 结果</source>
        <translation>State / outcome</translation>
    </message>
    <message>
        <source>号码数</source>
        <translation>Cases</translation>
    </message>
    <message>
        <source>预约时间</source>
        <translation>Appointment</translation>
    </message>
    <message>
        <source>硬约</source>
        <translation>Hard</translation>
    </message>
    <message>
        <source>今日</source>
        <translation>Today</translation>
    </message>
    <message>
        <source>整个项目</source>
        <translation>Whole project</translation>
    </message>
    <message>
        <source>队列</source>
        <translation>Queue</translation>
    </message>
    <message>
        <source>一小时内到期的预约</source>
        <translation>Appointments due within the hour</translation>
    </message>
    <message>
        <source>刷新失败：</source>
        <translation>Refresh failed: </translation>
    </message>
    <message>
        <source>更新于 </source>
        <translation>Updated at </translation>
    </message>
    <message>
        <source>项目已暂停，不发放号码</source>
        <translation>the project is paused: no numbers are handed out</translation>
    </message>
    <message>
        <source>项目已结束</source>
        <translation>the project is closed</translation>
    </message>
    <message>
        <source>现在不在拨打时段，{at} 开始拨打</source>
        <translation>outside calling hours: calls start at {at}</translation>
    </message>
    <message>
        <source>电话</source>
        <translation>Phone</translation>
    </message>
    <message>
        <source>实地</source>
        <translation>Field</translation>
    </message>
    <message>
        <source>网上自填</source>
        <translation>Web</translation>
    </message>
    <message>
        <source>{mode}：完成 {complete} · 筛除 {screened} · 进行中 {open}</source>
        <translation>{mode}: {complete} complete · {screened} screened out · {open} in progress</translation>
    </message>
    <message>
        <source>今日访问（按方式）</source>
        <translation>Today&apos;s interviews by mode</translation>
    </message>
    <message>
        <source>拨打</source>
        <translation>Calls</translation>
    </message>
    <message>
        <source>能</source>
        <translation>Yes</translation>
    </message>
    <message>
        <source>⚠ 不够</source>
        <translation>⚠ Not enough</translation>
    </message>
    <message>
        <source>按目前每个已拨号码的完成率，剩余号码能否达到配额</source>
        <translation>Whether the numbers left can reach the quota at the current completes per number dialled</translation>
    </message>
    <message>
        <source>配额：{name}</source>
        <translation>Quota: {name}</translation>
    </message>
    <message>
        <source>已满</source>
        <translation>Full</translation>
    </message>
    <message>
        <source>{mean:.1f} 分 ({n} 条)</source>
        <translation>{mean:.1f} of 5 ({n} scored)</translation>
    </message>
    <message>
        <source> · 无效 {n}</source>
        <translation> · {n} invalid</translation>
    </message>
    <message>
        <source>照本宣读</source>
        <translation>Read as written</translation>
    </message>
    <message>
        <source>无诱导</source>
        <translation>Not leading</translation>
    </message>
    <message>
        <source>编码正确</source>
        <translation>Correct coding</translation>
    </message>
    <message>
        <source>礼貌</source>
        <translation>Politeness</translation>
    </message>
    <message>
        <source>结果 </source>
        <translation>Outcome </translation>
    </message>
    <message>
        <source>未拨</source>
        <translation>not dialled</translation>
    </message>
    <message>
        <source>是</source>
        <translation>Yes</translation>
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
    <name>PasswordDialog</name>
    <message>
        <source>新增用户 Add user</source>
        <translation>Add user</translation>
    </message>
    <message>
        <source>用户名 Username</source>
        <translation>Username</translation>
    </message>
    <message>
        <source>姓名 Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>角色 Role</source>
        <translation>Role</translation>
    </message>
    <message>
        <source>密码 Password</source>
        <translation>Password</translation>
    </message>
    <message>
        <source>重置密码 Reset password</source>
        <translation>Reset password</translation>
    </message>
    <message>
        <source>新密码 New password</source>
        <translation>New password</translation>
    </message>
    <message>
        <source>再输入一次 Repeat</source>
        <translation>Repeat</translation>
    </message>
    <message>
        <source>密码至少 {n} 个字符 At least {n} characters</source>
        <translation>At least {n} characters</translation>
    </message>
    <message>
        <source>请填写用户名 Enter a username</source>
        <translation>Enter a username</translation>
    </message>
    <message>
        <source>两次输入的密码不一致 The passwords differ</source>
        <translation>The passwords differ</translation>
    </message>
    <message>
        <source>修改密码</source>
        <translation>Change password</translation>
    </message>
    <message>
        <source>原密码</source>
        <translation>Current password</translation>
    </message>
    <message>
        <source>新密码（至少 8 个字符）</source>
        <translation>New password (at least 8 characters)</translation>
    </message>
    <message>
        <source>再输一次新密码</source>
        <translation>New password again</translation>
    </message>
    <message>
        <source>两次输入的新密码不一致</source>
        <translation>The two new passwords differ</translation>
    </message>
    <message>
        <source>正在保存…</source>
        <translation>Saving…</translation>
    </message>
    <message>
        <source>密码已修改；其他工作站上的此账户需要重新登录</source>
        <translation>Password changed; this account must log in again on other workstations</translation>
    </message>
</context>
<context>
    <name>ProductivityPanel</name>
    <message>
        <source>上午</source>
        <translation>Morning</translation>
    </message>
    <message>
        <source>下午</source>
        <translation>Afternoon</translation>
    </message>
    <message>
        <source>晚上</source>
        <translation>Evening</translation>
    </message>
    <message>
        <source>查询 Show</source>
        <translation>Show</translation>
    </message>
    <message>
        <source>导出… Export…</source>
        <translation>Export…</translation>
    </message>
    <message>
        <source>日期</source>
        <translation>Day</translation>
    </message>
    <message>
        <source>班次</source>
        <translation>Shift</translation>
    </message>
    <message>
        <source>访问员</source>
        <translation>Interviewer</translation>
    </message>
    <message>
        <source>在线小时</source>
        <translation>Hours logged</translation>
    </message>
    <message>
        <source>就绪分钟</source>
        <translation>Ready min</translation>
    </message>
    <message>
        <source>通话分钟</source>
        <translation>On call min</translation>
    </message>
    <message>
        <source>访问分钟</source>
        <translation>Interviewing min</translation>
    </message>
    <message>
        <source>暂停分钟</source>
        <translation>Paused min</translation>
    </message>
    <message>
        <source>拨打</source>
        <translation>Calls</translation>
    </message>
    <message>
        <source>接通</source>
        <translation>Contacts</translation>
    </message>
    <message>
        <source>完成</source>
        <translation>Completes</translation>
    </message>
    <message>
        <source>每小时完成</source>
        <translation>Completes/h</translation>
    </message>
    <message>
        <source>拒访率</source>
        <translation>Refusal rate</translation>
    </message>
    <message>
        <source>从</source>
        <translation>From</translation>
    </message>
    <message>
        <source>到</source>
        <translation>to</translation>
    </message>
    <message>
        <source>正在读取…</source>
        <translation>Reading…</translation>
    </message>
    <message>
        <source>{n} 行</source>
        <translation>{n} rows</translation>
    </message>
    <message>
        <source>出错：</source>
        <translation>Error: </translation>
    </message>
    <message>
        <source>导出绩效</source>
        <translation>Export productivity</translation>
    </message>
    <message>
        <source>正在导出…</source>
        <translation>Exporting…</translation>
    </message>
    <message>
        <source>已导出：</source>
        <translation>Exported: </translation>
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
    <name>ProjectSettingsPanel</name>
    <message>
        <source>所选日期的时段用于每天 Apply the selected day to every day</source>
        <translation>Apply the selected day to every day</translation>
    </message>
    <message>
        <source>保存设置 Save settings</source>
        <translation>Save settings</translation>
    </message>
    <message>
        <source>最多拨打次数 Maximum attempts</source>
        <translation>Maximum attempts</translation>
    </message>
    <message>
        <source>每天最多拨打次数 Attempts per day</source>
        <translation>Attempts per day</translation>
    </message>
    <message>
        <source>呼叫时间（受访者当地时间，结束 00:00 即午夜） Calling hours in the respondent&apos;s local time (an end of 00:00 is midnight)</source>
        <translation>Calling hours in the respondent&apos;s local time (an end of 00:00 is midnight)</translation>
    </message>
    <message>
        <source>注意:某天的时段多于两个,保存时只保留前两个 Note: a day has more than two windows; only the first two are kept when saved</source>
        <translation>Note: a day has more than two windows; only the first two are kept when saved</translation>
    </message>
    <message>
        <source>进行中 active</source>
        <translation>active</translation>
    </message>
    <message>
        <source>已暂停 paused</source>
        <translation>paused</translation>
    </message>
    <message>
        <source>已结束 closed</source>
        <translation>closed</translation>
    </message>
    <message>
        <source>项目状态 Project {code}: {state}</source>
        <translation>Project {code}: {state}</translation>
    </message>
    <message>
        <source>恢复拨打 Resume project</source>
        <translation>Resume project</translation>
    </message>
    <message>
        <source>暂停拨打 Pause project</source>
        <translation>Pause project</translation>
    </message>
    <message>
        <source>已暂停:不再分配号码 Paused: no numbers are handed out</source>
        <translation>Paused: no numbers are handed out</translation>
    </message>
    <message>
        <source>已恢复 Resumed</source>
        <translation>Resumed</translation>
    </message>
    <message>
        <source>已保存 Saved</source>
        <translation>Saved</translation>
    </message>
</context>
<context>
    <name>QcPanel</name>
    <message>
        <source>抽取比例,如 5% 或 0.05</source>
        <translation>Share to draw, e.g. 5% or 0.05</translation>
    </message>
    <message>
        <source>抽取</source>
        <translation>Draw</translation>
    </message>
    <message>
        <source>刷新</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <source>播放</source>
        <translation>Play</translation>
    </message>
    <message>
        <source>停止</source>
        <translation>Stop</translation>
    </message>
    <message>
        <source>保存评分</source>
        <translation>Save score</translation>
    </message>
    <message>
        <source>访问员</source>
        <translation>Interviewer</translation>
    </message>
    <message>
        <source>访问编号</source>
        <translation>Interview</translation>
    </message>
    <message>
        <source>录音时长</source>
        <translation>Length (s)</translation>
    </message>
    <message>
        <source>录音</source>
        <translation>Recording</translation>
    </message>
    <message>
        <source>结论</source>
        <translation>Verdict</translation>
    </message>
    <message>
        <source>评分</source>
        <translation>Scores</translation>
    </message>
    <message>
        <source>问题</source>
        <translation>Question</translation>
    </message>
    <message>
        <source>回答</source>
        <translation>Answer</translation>
    </message>
    <message>
        <source>有录音的成功访问</source>
        <translation>Recorded completes</translation>
    </message>
    <message>
        <source>已抽取</source>
        <translation>Drawn</translation>
    </message>
    <message>
        <source>已评分</source>
        <translation>Scored</translation>
    </message>
    <message>
        <source>照本宣读</source>
        <translation>Read as written</translation>
    </message>
    <message>
        <source>无诱导</source>
        <translation>Not leading</translation>
    </message>
    <message>
        <source>编码正确</source>
        <translation>Correct coding</translation>
    </message>
    <message>
        <source>礼貌</source>
        <translation>Politeness</translation>
    </message>
    <message>
        <source>无效</source>
        <translation>Invalid</translation>
    </message>
    <message>
        <source>判定无效(作废该访问并重新开放号码)</source>
        <translation>Invalid (void the interview and reopen its case)</translation>
    </message>
    <message>
        <source>抽取比例</source>
        <translation>Share</translation>
    </message>
    <message>
        <source>无诱导(5 为完全没有)</source>
        <translation>Not leading (5 = not at all)</translation>
    </message>
    <message>
        <source>备注</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>访问的回答与时长</source>
        <translation>The interview&apos;s answers and timings</translation>
    </message>
    <message>
        <source>抽中的访问</source>
        <translation>Drawn interviews</translation>
    </message>
    <message>
        <source>按访问员统计</source>
        <translation>By interviewer</translation>
    </message>
    <message>
        <source>抽取了 {n} 个有录音的成功访问</source>
        <translation>Drew {n} recorded completed interviews</translation>
    </message>
    <message>
        <source>已评分:无效,该访问已作废</source>
        <translation>Scored: invalid, the interview is void</translation>
    </message>
    <message>
        <source>正常</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>录音文件不存在</source>
        <translation>Recording file missing</translation>
    </message>
    <message>
        <source>录音文件已被改动</source>
        <translation>Recording file changed</translation>
    </message>
    <message>
        <source>有效</source>
        <translation>Valid</translation>
    </message>
    <message>
        <source>待评分</source>
        <translation>To score</translation>
    </message>
</context>
<context>
    <name>QuotaModel</name>
    <message>
        <source>目标 Target</source>
        <translation>Target</translation>
    </message>
    <message>
        <source>样本层或名称 Stratum or name</source>
        <translation>Stratum or name</translation>
    </message>
    <message>
        <source>完成 Completes</source>
        <translation>Completes</translation>
    </message>
    <message>
        <source>进度 Progress</source>
        <translation>Progress</translation>
    </message>
    <message>
        <source>状态 State</source>
        <translation>State</translation>
    </message>
    <message>
        <source>条件 Condition</source>
        <translation>Condition</translation>
    </message>
    <message>
        <source>已满 full</source>
        <translation>full</translation>
    </message>
    <message>
        <source>进行中 open</source>
        <translation>open</translation>
    </message>
    <message>
        <source>（样本层）(stratum)</source>
        <translation>(stratum)</translation>
    </message>
    <message>
        <source>已满:不再拨打样本属于该配额的号码 Full: no more calls to numbers whose sample is in this cell</source>
        <translation>Full: no more calls to numbers whose sample is in this cell</translation>
    </message>
    <message>
        <source>已满:符合条件的受访者以 4.80 结束 Full: respondents who meet the condition end with 4.80</source>
        <translation>Full: respondents who meet the condition end with 4.80</translation>
    </message>
    <message>
        <source>已满:不再拨打该层的号码 Full: no more calls in this stratum</source>
        <translation>Full: no more calls in this stratum</translation>
    </message>
    <message>
        <source>只看样本列:拨号前即排除 Reads sample columns only: skipped before dialling</source>
        <translation>Reads sample columns only: skipped before dialling</translation>
    </message>
    <message>
        <source>按回答判断:访问中确定后结束 Reads answers: ends the interview once certain</source>
        <translation>Reads answers: ends the interview once certain</translation>
    </message>
</context>
<context>
    <name>QuotaPanel</name>
    <message>
        <source>样本层 Stratum</source>
        <translation>Stratum</translation>
    </message>
    <message>
        <source>添加配额 Add quota</source>
        <translation>Add quota</translation>
    </message>
    <message>
        <source>样本层或名称 Stratum or name</source>
        <translation>Stratum or name</translation>
    </message>
    <message>
        <source>条件(可空),如 ${gender} = &apos;1&apos; and ${resp_age} &lt; 35 Condition (optional)</source>
        <translation>Condition (optional), e.g. ${gender} = &apos;1&apos; and ${resp_age} &lt; 35</translation>
    </message>
    <message>
        <source>用问卷题目名或样本列名 ${名称};留空即按样本层设配额 Name questions or sample columns as ${name}; empty: a stratum quota</source>
        <translation>Name questions or sample columns as ${name}; empty: a stratum quota</translation>
    </message>
    <message>
        <source>删除配额 Remove quota</source>
        <translation>Remove quota</translation>
    </message>
    <message>
        <source>刷新 Refresh</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <source>粘贴配额… Paste quotas…</source>
        <translation>Paste quotas…</translation>
    </message>
    <message>
        <source>从表格复制两列(样本层、目标)或三列(名称、目标、条件)粘贴进来,一次设置多个 Paste two columns (stratum, target) or three (name, target, condition) copied from a spreadsheet: all are set, or none</source>
        <translation>Paste two columns (stratum, target) or three (name, target, condition) copied from a spreadsheet: all are set, or none</translation>
    </message>
    <message>
        <source>条件 Condition</source>
        <translation>Condition</translation>
    </message>
    <message>
        <source>配额:每层(或每个条件)完成访问的目标数,已满的不再拨打或以 4.80 结束 Quotas: completes wanted per stratum (or per condition); full ones get no more calls or end with 4.80</source>
        <translation>Quotas: completes wanted per stratum (or per condition); full ones get no more calls or end with 4.80</translation>
    </message>
    <message>
        <source>每行一个样本层和目标数,如“古槐街道&lt;Tab&gt;30”;或名称、目标数和条件,以 Tab 分隔 One stratum and its target per line, or a name, a target and a condition separated by tabs:</source>
        <translation>One stratum and its target per line, or a name, a target and a condition separated by tabs:</translation>
    </message>
    <message>
        <source>目标 Target</source>
        <translation>Target</translation>
    </message>
    <message>
        <source>请先填写样本层 Enter a stratum first</source>
        <translation>Enter a stratum first</translation>
    </message>
    <message>
        <source>粘贴配额 Paste quotas</source>
        <translation>Paste quotas</translation>
    </message>
    <message>
        <source>已保存 {n} 个配额 Saved {n} quotas</source>
        <translation>Saved {n} quotas</translation>
    </message>
    <message>
        <source>已保存 Saved: {stratum} → {target}</source>
        <translation>Saved: {stratum} → {target}</translation>
    </message>
    <message>
        <source>已删除 Removed: {stratum}</source>
        <translation>Removed: {stratum}</translation>
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
        <source>休息</source>
        <translation>Break</translation>
    </message>
    <message>
        <source>培训</source>
        <translation>Training</translation>
    </message>
    <message>
        <source>会议</source>
        <translation>Meeting</translation>
    </message>
    <message>
        <source>其他</source>
        <translation>Other</translation>
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
    <name>RuleDialog</name>
    <message>
        <source>指数规则 Index rule — %1</source>
        <translation>Index rule — %1</translation>
    </message>
    <message>
        <source>指数 Index</source>
        <translation>Index</translation>
    </message>
    <message>
        <source>方法 Method</source>
        <translation>Method</translation>
    </message>
    <message>
        <source>正面回答 Positive</source>
        <translation>Positive</translation>
    </message>
    <message>
        <source>不计入分母 Excluded</source>
        <translation>Excluded</translation>
    </message>
    <message>
        <source>权重 Weights</source>
        <translation>Weights</translation>
    </message>
    <message>
        <source>计入部分完成的访问 Count partial interviews</source>
        <translation>Count partial interviews</translation>
    </message>
    <message>
        <source>保存规则 Save</source>
        <translation>Save</translation>
    </message>
    <message>
        <source>最低样本量(低于则不排名) Minimum n to rank</source>
        <translation>Minimum n to rank (below it: shown, not ranked)</translation>
    </message>
    <message>
        <source>保存到 Save for</source>
        <translation>Save for</translation>
    </message>
    <message>
        <source>选项代码用逗号分隔,如 1,2;不了解(8)放入“不计入分母”即不计入 · Choice codes separated by commas; put 不了解 (8) under Excluded to leave it out</source>
        <translation>Choice codes separated by commas, e.g. 1,2; put “don’t know” (8) under Excluded to leave it out of the denominator</translation>
    </message>
    <message>
        <source>本期结束时冻结的规则(不可修改)</source>
        <translation>frozen when the wave closed (read-only)</translation>
    </message>
    <message>
        <source>本项目的设置</source>
        <translation>this project&apos;s setting</translation>
    </message>
    <message>
        <source>所属测评系列的规则</source>
        <translation>the series&apos; rule</translation>
    </message>
    <message>
        <source>问卷的指数定义</source>
        <translation>the questionnaire&apos;s definitions</translation>
    </message>
    <message>
        <source>规则来源 Rule from: </source>
        <translation>Rule from: </translation>
    </message>
    <message>
        <source>本项目(本期)This project</source>
        <translation>This project (this wave)</translation>
    </message>
    <message>
        <source>整个测评系列 The series %1</source>
        <translation>The series %1</translation>
    </message>
    <message>
        <source>正在保存…</source>
        <translation>Saving…</translation>
    </message>
    <message>
        <source>规则已保存,此后的报告按新规则计算 Saved</source>
        <translation>Saved</translation>
    </message>
    <message>
        <source>未保存:</source>
        <translation>Not saved: </translation>
    </message>
</context>
<context>
    <name>SamplePanel</name>
    <message>
        <source>无 none</source>
        <translation>none</translation>
    </message>
    <message>
        <source>全部 All</source>
        <translation>All</translation>
    </message>
    <message>
        <source>无结果 None yet</source>
        <translation>None yet</translation>
    </message>
    <message>
        <source>不限 any</source>
        <translation>any</translation>
    </message>
    <message>
        <source>号码中的数字 digits of the number</source>
        <translation>digits of the number</translation>
    </message>
    <message>
        <source>按号码中任意位置的数字查找,需逐个比对全部样本,较慢 Digits anywhere in the number: a slow search through the whole sample</source>
        <translation>Digits anywhere in the number: a slow search through the whole sample</translation>
    </message>
    <message>
        <source>刷新 Refresh</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <source>释放占用 Release lease</source>
        <translation>Release lease</translation>
    </message>
    <message>
        <source>重新开放 Reopen</source>
        <translation>Reopen</translation>
    </message>
    <message>
        <source>立即拨打 Call now</source>
        <translation>Call now</translation>
    </message>
    <message>
        <source>选中的号码排在最前，两小时内由下一位就绪的访问员（或下面指定的访问员）拨打 · The selected cases are called next, within two hours, by the next interviewer ready (or the one chosen beside)</source>
        <translation>The selected cases are called next, within two hours, by the next interviewer ready (or the one chosen beside)</translation>
    </message>
    <message>
        <source>任何访问员 Anyone</source>
        <translation>Anyone</translation>
    </message>
    <message>
        <source>设置优先级 Set priority</source>
        <translation>Set priority</translation>
    </message>
    <message>
        <source>加入免打扰 Do not call</source>
        <translation>Do not call</translation>
    </message>
    <message>
        <source>为何现在不能拨打 Why not now?</source>
        <translation>Why not now?</translation>
    </message>
    <message>
        <source>修改答案… Correct an answer…</source>
        <translation>Correct an answer…</translation>
    </message>
    <message>
        <source>拨打记录 Call history</source>
        <translation>Call history</translation>
    </message>
    <message>
        <source>时间 Time</source>
        <translation>Time</translation>
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
        <source>规则 Rule</source>
        <translation>Rule</translation>
    </message>
    <message>
        <source>阻止 Blocks</source>
        <translation>Blocks</translation>
    </message>
    <message>
        <source>说明 Detail</source>
        <translation>Detail</translation>
    </message>
    <message>
        <source>解除时间 Until</source>
        <translation>Until</translation>
    </message>
    <message>
        <source>样本层 Stratum</source>
        <translation>Stratum</translation>
    </message>
    <message>
        <source>状态 State</source>
        <translation>State</translation>
    </message>
    <message>
        <source>结果 Disposition</source>
        <translation>Disposition</translation>
    </message>
    <message>
        <source>拨打次数从 Attempts from</source>
        <translation>Attempts from</translation>
    </message>
    <message>
        <source>至 to</source>
        <translation>to</translation>
    </message>
    <message>
        <source>号码 Phone</source>
        <translation>Phone</translation>
    </message>
    <message>
        <source>能否拨打 Callable</source>
        <translation>Callable</translation>
    </message>
    <message>
        <source>指派给 {name}</source>
        <translation>Assign to {name}</translation>
    </message>
    <message>
        <source>该号码没有已结束的访问 This case has no closed interview</source>
        <translation>This case has no closed interview</translation>
    </message>
    <message>
        <source>已更正 corrected: {q} {old} → {new}</source>
        <translation>corrected: {q} {old} → {new}</translation>
    </message>
    <message>
        <source>{n} 个号码将立即拨打 {n} called next</source>
        <translation>{n} called next</translation>
    </message>
    <message>
        <source>正在计数… Counting…</source>
        <translation>Counting…</translation>
    </message>
    <message>
        <source>共 {n} 个号码 Cases: {n}</source>
        <translation>Cases: {n}</translation>
    </message>
    <message>
        <source>请先选中一个号码 Select a case first</source>
        <translation>Select a case first</translation>
    </message>
    <message>
        <source>是 yes</source>
        <translation>yes</translation>
    </message>
    <message>
        <source>否 no</source>
        <translation>no</translation>
    </message>
    <message>
        <source>现在可以拨打 callable now</source>
        <translation>callable now</translation>
    </message>
    <message>
        <source>须等到 {at} 才能拨打 Not callable before {at}</source>
        <translation>Not callable before {at}</translation>
    </message>
    <message>
        <source>不会再拨打 never callable as it stands</source>
        <translation>never callable as it stands</translation>
    </message>
    <message>
        <source>有 {n} 个选中的行仍在加载,请稍候再试 Still loading {n} of the selected rows: try again shortly</source>
        <translation>Still loading {n} of the selected rows: try again shortly</translation>
    </message>
    <message>
        <source>请先选择号码 Select cases first</source>
        <translation>Select cases first</translation>
    </message>
    <message>
        <source>已释放 {n} 个号码 released {n}</source>
        <translation>released {n}</translation>
    </message>
    <message>
        <source>重新开放 {n} 个已结束的号码。已完成的访问将作废(保留,不计入指数、配额和导出)。原因 Reopen {n} closed cases. A completed interview is voided (kept, counted nowhere). Reason:</source>
        <translation>Reopen {n} closed cases. A completed interview is voided (kept, counted nowhere). Reason:</translation>
    </message>
    <message>
        <source>已重新开放 {n} 个号码 reopened {n}</source>
        <translation>reopened {n}</translation>
    </message>
    <message>
        <source>优先级 {p}:已设置 {n} 个号码 Priority {p} set on {n} cases</source>
        <translation>Priority {p} set on {n} cases</translation>
    </message>
    <message>
        <source>加入免打扰名单 Do not call</source>
        <translation>Do not call</translation>
    </message>
    <message>
        <source>将把 {n} 个号码加入免打扰名单并结案,原因 The {n} numbers go on the do-not-call list and their cases close. Reason:</source>
        <translation>The {n} numbers go on the do-not-call list and their cases close. Reason:</translation>
    </message>
    <message>
        <source>免打扰名单新增 {added} 个号码,结案 {closed} 个 added {added} to do-not-call, closed {closed}</source>
        <translation>added {added} to do-not-call, closed {closed}</translation>
    </message>
    <message>
        <source>未能加入 not added: {numbers}</source>
        <translation>not added: {numbers}</translation>
    </message>
    <message>
        <source>正在处理… Working…</source>
        <translation>Working…</translation>
    </message>
    <message>
        <source>出错了 Something went wrong: {error}</source>
        <translation>Something went wrong: {error}</translation>
    </message>
</context>
<context>
    <name>SampleTableModel</name>
    <message>
        <source>编号 ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>号码 Phone</source>
        <translation>Phone</translation>
    </message>
    <message>
        <source>样本层 Stratum</source>
        <translation>Stratum</translation>
    </message>
    <message>
        <source>状态 State</source>
        <translation>State</translation>
    </message>
    <message>
        <source>结果代码 Disposition</source>
        <translation>Disposition</translation>
    </message>
    <message>
        <source>拨打次数 Attempts</source>
        <translation>Attempts</translation>
    </message>
    <message>
        <source>下次拨打 Next call</source>
        <translation>Next call</translation>
    </message>
    <message>
        <source>优先级 Priority</source>
        <translation>Priority</translation>
    </message>
    <message>
        <source>占用工作站 Held by</source>
        <translation>Held by</translation>
    </message>
    <message>
        <source>占用至 Held until</source>
        <translation>Held until</translation>
    </message>
    <message>
        <source>归属地 Region</source>
        <translation>Region</translation>
    </message>
    <message>
        <source>运营商 Carrier</source>
        <translation>Carrier</translation>
    </message>
    <message>
        <source>新号码 fresh</source>
        <translation>fresh</translation>
    </message>
    <message>
        <source>待重拨 scheduled</source>
        <translation>scheduled</translation>
    </message>
    <message>
        <source>预约 appointment</source>
        <translation>appointment</translation>
    </message>
    <message>
        <source>待续访 resume</source>
        <translation>resume</translation>
    </message>
    <message>
        <source>已结束 closed</source>
        <translation>closed</translation>
    </message>
    <message>
        <source>锁定 locked</source>
        <translation>locked</translation>
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
    <name>SuggestionModel</name>
    <message>
        <source>编号 ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>样本层 Stratum</source>
        <translation>Stratum</translation>
    </message>
    <message>
        <source>题目 Question</source>
        <translation>Question</translation>
    </message>
    <message>
        <source>内容 Text</source>
        <translation>Text</translation>
    </message>
    <message>
        <source>有效 Valid</source>
        <translation>Valid</translation>
    </message>
    <message>
        <source>分类 Category</source>
        <translation>Category</translation>
    </message>
    <message>
        <source>责任单位 Responsible unit</source>
        <translation>Responsible unit</translation>
    </message>
    <message>
        <source>状态 Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>回访 Follow-up</source>
        <translation>Follow-up</translation>
    </message>
    <message>
        <source>备注 Notes</source>
        <translation>Notes</translation>
    </message>
    <message>
        <source>自动建议的分类,设为有效或无效即确认 Proposed by the keyword rules: set valid or not valid to confirm</source>
        <translation>Proposed by the keyword rules: set valid or not valid to confirm</translation>
    </message>
    <message>
        <source>%1(建议) (proposed)</source>
        <translation>%1 (proposed)</translation>
    </message>
    <message>
        <source>同意回访 agreed</source>
        <translation>agreed</translation>
    </message>
</context>
<context>
    <name>SuggestionsPanel</name>
    <message>
        <source>全部状态 All statuses</source>
        <translation>All statuses</translation>
    </message>
    <message>
        <source>收集新建议 Collect new</source>
        <translation>Collect new</translation>
    </message>
    <message>
        <source>创建回访项目 Create follow-up project</source>
        <translation>Create follow-up project</translation>
    </message>
    <message>
        <source>责任单位 Responsible unit</source>
        <translation>Responsible unit</translation>
    </message>
    <message>
        <source>责任单位的答复:做了什么(回访时读给群众) The unit&apos;s reply: what was done (read to the resident on the call-back)</source>
        <translation>The unit&apos;s reply: what was done (read to the resident on the call-back)</translation>
    </message>
    <message>
        <source>分类为自动建议:设为有效或无效即确认 The category is a proposal: set valid or not valid to confirm it</source>
        <translation>The category is a proposal: set valid or not valid to confirm it</translation>
    </message>
    <message>
        <source>保存 Save</source>
        <translation>Save</translation>
    </message>
    <message>
        <source>状态 Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>分类 Category</source>
        <translation>Category</translation>
    </message>
    <message>
        <source>内容 Text</source>
        <translation>Text</translation>
    </message>
    <message>
        <source>是否有效 Valid</source>
        <translation>Valid</translation>
    </message>
    <message>
        <source>答复 Reply</source>
        <translation>Reply</translation>
    </message>
    <message>
        <source>备注 Notes</source>
        <translation>Notes</translation>
    </message>
    <message>
        <source>请等上一个操作完成 Wait for the last operation to finish</source>
        <translation>Wait for the last operation to finish</translation>
    </message>
    <message>
        <source>正在处理… Working…</source>
        <translation>Working…</translation>
    </message>
    <message>
        <source>全部分类 All categories</source>
        <translation>All categories</translation>
    </message>
    <message>
        <source>未分类 No category</source>
        <translation>No category</translation>
    </message>
    <message>
        <source>新收集 %1 条建议;回访:%2 条核实解决,%3 条未解决已退回,%4 条未联系上,%5 条拒访 Collected %1 new suggestions; call-backs: %2 checked, %3 reopened, %4 unreachable, %5 refused</source>
        <translation>Collected %1 new suggestions; call-backs: %2 checked, %3 reopened, %4 unreachable, %5 refused</translation>
    </message>
    <message>
        <source>(未分类) (none)</source>
        <translation>(none)</translation>
    </message>
    <message>
        <source>答复于 Replied on %1</source>
        <translation>Replied on %1</translation>
    </message>
    <message>
        <source>已保存 Saved: %1</source>
        <translation>Saved: %1</translation>
    </message>
    <message>
        <source>已创建回访项目 Created follow-up project %1: %2 numbers for %3 suggestions</source>
        <translation>Created follow-up project %1: %2 numbers for %3 suggestions</translation>
    </message>
</context>
<context>
    <name>UnitsPanel</name>
    <message>
        <source>责任单位 Units</source>
        <translation>Units</translation>
    </message>
    <message>
        <source>分派规则 Routing</source>
        <translation>Routing</translation>
    </message>
    <message>
        <source>超期 Overdue</source>
        <translation>Overdue</translation>
    </message>
    <message>
        <source>单位考核 Figures</source>
        <translation>Figures</translation>
    </message>
    <message>
        <source>人工录入 Intake</source>
        <translation>Intake</translation>
    </message>
    <message>
        <source>分类与期限 Categories</source>
        <translation>Categories</translation>
    </message>
    <message>
        <source>编号 ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>类型 Kind</source>
        <translation>Kind</translation>
    </message>
    <message>
        <source>乡镇 Township</source>
        <translation>Township</translation>
    </message>
    <message>
        <source>名称 Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>状态 Active</source>
        <translation>Active</translation>
    </message>
    <message>
        <source>建议 Suggestions</source>
        <translation>Suggestions</translation>
    </message>
    <message>
        <source>单位名称 Unit name</source>
        <translation>Unit name</translation>
    </message>
    <message>
        <source>启用 Active</source>
        <translation>Active</translation>
    </message>
    <message>
        <source>添加 Add</source>
        <translation>Add</translation>
    </message>
    <message>
        <source>保存所选 Save selected</source>
        <translation>Save selected</translation>
    </message>
    <message>
        <source>删除或停用 Remove</source>
        <translation>Remove</translation>
    </message>
    <message>
        <source>默认单位 Default units</source>
        <translation>Default units</translation>
    </message>
    <message>
        <source>分类 Category</source>
        <translation>Category</translation>
    </message>
    <message>
        <source>子类 Subcategory</source>
        <translation>Subcategory</translation>
    </message>
    <message>
        <source>责任单位 Unit</source>
        <translation>Unit</translation>
    </message>
    <message>
        <source>设置规则 Set rule</source>
        <translation>Set rule</translation>
    </message>
    <message>
        <source>删除所选规则 Remove selected</source>
        <translation>Remove selected</translation>
    </message>
    <message>
        <source>超期天数 Days overdue</source>
        <translation>Days overdue</translation>
    </message>
    <message>
        <source>期限 Due</source>
        <translation>Due</translation>
    </message>
    <message>
        <source>内容 Text</source>
        <translation>Text</translation>
    </message>
    <message>
        <source>刷新 Refresh</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <source>交办 Received</source>
        <translation>Received</translation>
    </message>
    <message>
        <source>已答复 Answered</source>
        <translation>Answered</translation>
    </message>
    <message>
        <source>按时率 In time</source>
        <translation>In time</translation>
    </message>
    <message>
        <source>解决率 Solved</source>
        <translation>Solved</translation>
    </message>
    <message>
        <source>回访满意率 Satisfied</source>
        <translation>Satisfied</translation>
    </message>
    <message>
        <source>同意回访 Agrees to a call-back</source>
        <translation>Agrees to a call-back</translation>
    </message>
    <message>
        <source>录入 Take in</source>
        <translation>Take in</translation>
    </message>
    <message>
        <source>从文件导入… Import a file…</source>
        <translation>Import a file…</translation>
    </message>
    <message>
        <source>日期 Date</source>
        <translation>Date</translation>
    </message>
    <message>
        <source>渠道 Channel</source>
        <translation>Channel</translation>
    </message>
    <message>
        <source>姓名 Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>电话 Phone</source>
        <translation>Phone</translation>
    </message>
    <message>
        <source>子类(以、分隔) Subcategories</source>
        <translation>Subcategories (separated by 、)</translation>
    </message>
    <message>
        <source>办理期限(天) Deadline (days)</source>
        <translation>Deadline (days)</translation>
    </message>
    <message>
        <source>添加分类 Add category</source>
        <translation>Add category</translation>
    </message>
    <message>
        <source>保存分类 Save categories</source>
        <translation>Save categories</translation>
    </message>
    <message>
        <source>请等上一个操作完成 Wait for the last operation to finish</source>
        <translation>Wait for the last operation to finish</translation>
    </message>
    <message>
        <source>启用 active</source>
        <translation>active</translation>
    </message>
    <message>
        <source>停用 inactive</source>
        <translation>inactive</translation>
    </message>
    <message>
        <source>(任何 any)</source>
        <translation>(any)</translation>
    </message>
    <message>
        <source>(全县 county)</source>
        <translation>(county)</translation>
    </message>
    <message>
        <source>(任何乡镇 any) *</source>
        <translation>(any) *</translation>
    </message>
    <message>
        <source>(不详 unknown)</source>
        <translation>(unknown)</translation>
    </message>
    <message>
        <source>(自动 automatic)</source>
        <translation>(automatic)</translation>
    </message>
    <message>
        <source>添加了 %1 个单位、%2 条规则 Added %1 units and %2 routing rules</source>
        <translation>Added %1 units and %2 routing rules</translation>
    </message>
    <message>
        <source>已添加 Added: %1</source>
        <translation>Added: %1</translation>
    </message>
    <message>
        <source>已保存 Saved: %1</source>
        <translation>Saved: %1</translation>
    </message>
    <message>
        <source>已删除 Removed</source>
        <translation>Removed</translation>
    </message>
    <message>
        <source>已停用:仍有建议或规则引用它 Deactivated: suggestions or rules name it</source>
        <translation>Deactivated: suggestions or rules name it</translation>
    </message>
    <message>
        <source>规则已设置 Rule set: %1 → %2</source>
        <translation>Rule set: %1 → %2</translation>
    </message>
    <message>
        <source>规则已删除 Rule removed</source>
        <translation>Rule removed</translation>
    </message>
    <message>
        <source>第 %1 行的期限不是天数 Row %1: the deadline is not a number of days</source>
        <translation>Row %1: the deadline is not a number of days</translation>
    </message>
    <message>
        <source>分类已保存 Categories saved</source>
        <translation>Categories saved</translation>
    </message>
    <message>
        <source>已录入为建议 %1 Taken in as suggestion %1</source>
        <translation>Taken in as suggestion %1</translation>
    </message>
    <message>
        <source>导入意见 Import opinions</source>
        <translation>Import opinions</translation>
    </message>
    <message>
        <source>导入 %1 条意见,%2 条已分派 Took in %1 opinions, %2 routed</source>
        <translation>Took in %1 opinions, %2 routed</translation>
    </message>
</context>
<context>
    <name>UsersModel</name>
    <message>
        <source>用户名 Username</source>
        <translation>Username</translation>
    </message>
    <message>
        <source>姓名 Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>角色 Role</source>
        <translation>Role</translation>
    </message>
    <message>
        <source>状态 State</source>
        <translation>State</translation>
    </message>
    <message>
        <source>在用 active</source>
        <translation>active</translation>
    </message>
    <message>
        <source>已停用 inactive</source>
        <translation>inactive</translation>
    </message>
</context>
<context>
    <name>UsersPanel</name>
    <message>
        <source>访问员 interviewer</source>
        <translation>interviewer</translation>
    </message>
    <message>
        <source>督导 supervisor</source>
        <translation>supervisor</translation>
    </message>
    <message>
        <source>管理员 admin</source>
        <translation>admin</translation>
    </message>
    <message>
        <source>新增用户 Add user</source>
        <translation>Add user</translation>
    </message>
    <message>
        <source>停用 Deactivate</source>
        <translation>Deactivate</translation>
    </message>
    <message>
        <source>启用 Reactivate</source>
        <translation>Reactivate</translation>
    </message>
    <message>
        <source>重置密码 Reset password</source>
        <translation>Reset password</translation>
    </message>
    <message>
        <source>更改角色 Change role</source>
        <translation>Change role</translation>
    </message>
    <message>
        <source>仅管理员可以管理用户 Only an admin can manage users</source>
        <translation>Only an admin can manage users</translation>
    </message>
    <message>
        <source>已启用 Reactivated: {username}</source>
        <translation>Reactivated: {username}</translation>
    </message>
    <message>
        <source>已停用 Deactivated: {username}</source>
        <translation>Deactivated: {username}</translation>
    </message>
    <message>
        <source>已更改角色 Role changed: {username} → {role}</source>
        <translation>Role changed: {username} → {role}</translation>
    </message>
    <message>
        <source>已新增 Added: {username}</source>
        <translation>Added: {username}</translation>
    </message>
    <message>
        <source>已重置密码 Password reset: {username}</source>
        <translation>Password reset: {username}</translation>
    </message>
    <message>
        <source>请稍候 Please wait</source>
        <translation>Please wait</translation>
    </message>
</context>
<context>
    <name>WavesPanel</name>
    <message>
        <source>调查期</source>
        <translation>Waves</translation>
    </message>
    <message>
        <source>项目</source>
        <translation>Project</translation>
    </message>
    <message>
        <source>状态</source>
        <translation>State</translation>
    </message>
    <message>
        <source>完成访问</source>
        <translation>Completes</translation>
    </message>
    <message>
        <source>结束时间</source>
        <translation>Closed at</translation>
    </message>
    <message>
        <source>结束本期…</source>
        <translation>Close this wave…</translation>
    </message>
    <message>
        <source>本测评系列的各期调查（结束后数据冻结，报告不再变化）</source>
        <translation>The waves of this series (a closed wave is frozen: its reports no longer change)</translation>
    </message>
    <message>
        <source>结束本期</source>
        <translation>Close this wave</translation>
    </message>
    <message>
        <source>结束 %1 后，电话、网上、实地的回答都不再接收，报告按现在的数据和规则冻结。此操作不能撤销。</source>
        <translation>Once %1 is closed, no phone, web or field answer is taken and its reports are frozen with today&apos;s data and rule. This cannot be undone.</translation>
    </message>
    <message>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>正在结束本期…</source>
        <translation>Closing the wave…</translation>
    </message>
    <message>
        <source>本期已结束，数据已冻结：</source>
        <translation>Wave closed, its data frozen: </translation>
    </message>
    <message>
        <source>失败：</source>
        <translation>Failed: </translation>
    </message>
</context>
<context>
    <name>WebHandoverDialog</name>
    <message>
        <source>网上填答链接</source>
        <translation>Web link</translation>
    </message>
    <message>
        <source>把下面的短信发给受访者（复制后粘贴到短信）。链接仅限本人使用一次，有效至 %1；在此之前本号码不再拨打。</source>
        <translation>Send this text message to the respondent (copy it and paste it into an SMS). The link is for them only, once, until %1; the number is not called before then.</translation>
    </message>
    <message>
        <source>复制短信</source>
        <translation>Copy the message</translation>
    </message>
    <message>
        <source>复制链接</source>
        <translation>Copy the link</translation>
    </message>
</context>
<context>
    <name>WebPanel</name>
    <message>
        <source>刷新</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <source>各采集点每小时完成的网上问卷（近 24 小时）</source>
        <translation>Web questionnaires completed per collection point and hour (last 24 hours)</translation>
    </message>
    <message>
        <source>%1：完成 %2，进行中 %3，筛除 %4</source>
        <translation>%1: %2 complete, %3 in progress, %4 screened out</translation>
    </message>
    <message>
        <source>今日访问（按方式）：</source>
        <translation>Today&apos;s interviews by mode: </translation>
    </message>
    <message>
        <source>无</source>
        <translation>none</translation>
    </message>
    <message>
        <source>合计</source>
        <translation>Total</translation>
    </message>
    <message>
        <source>{hour}时</source>
        <translation>{hour}:00</translation>
    </message>
    <message>
        <source>个人邀请</source>
        <translation>Personal invitations</translation>
    </message>
    <message>
        <source>读取失败：</source>
        <translation>Reading failed: </translation>
    </message>
</context>
<context>
    <name>_AnswerInput</name>
    <message>
        <source>输入名称或拼音首字母筛选,或键入代码 · Type a name or its pinyin initials to filter, or type the code</source>
        <translation>Type a name or its pinyin initials to filter, or type the code</translation>
    </message>
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
<context>
    <name>_Panel</name>
    <message>
        <source>请等上一个操作完成 Wait for the last operation to finish</source>
        <translation>Wait for the last operation to finish</translation>
    </message>
    <message>
        <source>正在处理… Working…</source>
        <translation>Working…</translation>
    </message>
</context>
<context>
    <name>owner</name>
    <message>
        <source>新建 new</source>
        <translation>new</translation>
    </message>
    <message>
        <source>已交办 assigned</source>
        <translation>assigned</translation>
    </message>
    <message>
        <source>已办结 resolved</source>
        <translation>resolved</translation>
    </message>
    <message>
        <source>回访未解决 reopened</source>
        <translation>reopened</translation>
    </message>
    <message>
        <source>已回访核实 checked</source>
        <translation>checked</translation>
    </message>
    <message>
        <source>回访未联系上 unreachable</source>
        <translation>unreachable</translation>
    </message>
    <message>
        <source>回访拒访 refused</source>
        <translation>refused</translation>
    </message>
    <message>
        <source>未审核 unreviewed</source>
        <translation>unreviewed</translation>
    </message>
    <message>
        <source>有效 valid</source>
        <translation>valid</translation>
    </message>
    <message>
        <source>无效 not valid</source>
        <translation>not valid</translation>
    </message>
</context>
<context>
    <name>plain</name>
    <message>
        <source>北京时间</source>
        <translation>Beijing time</translation>
    </message>
    <message>
        <source>本机时间 UTC{offset}</source>
        <translation>local time UTC{offset}</translation>
    </message>
</context>
<context>
    <name>self.console</name>
    <message>
        <source>访问员窗口</source>
        <translation>Interviewer window</translation>
    </message>
</context>
</TS>
