"""Server folders: only under the allowed roots, after resolving .. and every symbolic link."""

from __future__ import annotations

import os

import pytest

from resnet_viz.data.roots import FolderRefused, data_roots, server_folder, within


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "shared"
    (root / "pets" / "cat").mkdir(parents=True)
    (tmp_path / "private" / "secret").mkdir(parents=True)
    return tmp_path, root


def test_the_default_root_is_the_data_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("RESNET_VIZ_DATA_ROOTS", raising=False)
    monkeypatch.setenv("RESNET_VIZ_DATA", str(tmp_path / "data"))
    assert data_roots() == [(tmp_path / "data").resolve()]
    monkeypatch.setenv("RESNET_VIZ_DATA_ROOTS", os.pathsep.join([str(tmp_path / "a"), " ", str(tmp_path / "b")]))
    assert data_roots() == [(tmp_path / "a").resolve(), (tmp_path / "b").resolve()]


def test_a_folder_under_a_root_is_allowed_absolute_or_relative(tree):
    _, root = tree
    assert server_folder(str(root / "pets"), [root]) == (root / "pets").resolve()
    assert server_folder("pets", [root]) == (root / "pets").resolve()
    assert server_folder(str(root), [root]) == root.resolve()


@pytest.mark.parametrize("typed", ["/root", "/home", "/etc", "/", "~"])
def test_system_folders_are_refused(tree, typed):
    _, root = tree
    with pytest.raises(FolderRefused, match="outside the folders this server shares"):
        server_folder(typed, [root])


def test_dot_dot_escapes_are_refused(tree):
    tmp, root = tree
    for typed in (str(root / "pets" / ".." / ".." / "private"), "../private", "pets/../../private/secret"):
        with pytest.raises(FolderRefused, match="outside"):
            server_folder(typed, [root])


def test_symlink_escapes_are_refused(tree):
    tmp, root = tree
    (root / "link").symlink_to(tmp / "private")
    (root / "pets" / "deep").symlink_to(tmp / "private" / "secret")
    for typed in (str(root / "link"), "link", "link/secret", "pets/deep"):
        with pytest.raises(FolderRefused, match="outside"):
            server_folder(typed, [root])
    assert not within(root / "link", [root.resolve()])


def test_a_link_to_a_folder_inside_the_roots_is_fine(tree):
    _, root = tree
    (root / "alias").symlink_to(root / "pets")
    assert server_folder("alias", [root]) == (root / "pets").resolve()


def test_outside_paths_are_refused_before_saying_whether_they_exist(tree):
    _, root = tree
    with pytest.raises(FolderRefused) as missing_outside:
        server_folder("/no/such/folder", [root])
    with pytest.raises(FolderRefused) as present_outside:
        server_folder("/etc", [root])
    assert str(missing_outside.value).startswith("`/no/such/folder` is outside")
    assert str(present_outside.value).startswith("`/etc` is outside")  # no oracle for what exists out there
    with pytest.raises(FolderRefused, match="is not a folder under"):
        server_folder("pets/dog", [root])
    with pytest.raises(FolderRefused, match="Type the path"):
        server_folder("  ", [root])
