"""The main window after login (a first cut: who is logged in and the active projects)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QListWidget, QMainWindow, QVBoxLayout, QWidget

from cati.backend import Backend
from cati.services.projects import ProjectInfo
from cati.services.users import UserInfo
from ui.tasks import TaskRunner


class MainWindow(QMainWindow):
    def __init__(self, backend: Backend, tasks: TaskRunner, user: UserInfo) -> None:
        super().__init__()
        self.setWindowTitle(f"cati — {user.display_name} ({user.role})")
        self.projects = QListWidget()
        self.heading = QLabel(self.tr("进行中的项目 Active projects"))
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.heading)
        layout.addWidget(self.projects)
        self.setCentralWidget(body)
        self.resize(720, 480)
        tasks.run(backend.active_projects, self._show_projects)

    def _show_projects(self, projects: list[ProjectInfo]) -> None:
        self.projects.clear()
        for project in projects:
            self.projects.addItem(f"{project.code} · {project.name} · {project.cases} 个号码")
